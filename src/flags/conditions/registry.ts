import { cidrOperator } from './cidr-operator.js';
import { dateOperators } from './date-operators.js';
import { numberOperators } from './number-operators.js';
import { regexOperator } from './regex-operator.js';
import { semverOperators } from './semver-operators.js';
import { stringOperators } from './string-operators.js';
import { CONDITION_OPERATORS, type ConditionOperator, type OperatorFamily } from './types.js';

const FAMILIES: readonly OperatorFamily[] = [stringOperators, numberOperators, dateOperators, semverOperators, regexOperator, cidrOperator];

const byOperator = new Map<ConditionOperator, OperatorFamily>();
for (const family of FAMILIES) for (const operator of family.operators) byOperator.set(operator, family);

// The operator set is closed: every operator has exactly one family, checked when this module loads.
for (const operator of CONDITION_OPERATORS) {
  if (!byOperator.has(operator)) throw new Error(`phasegate: no operator family implements ${operator}`);
}

/** The family implementing `operator`. */
export function operatorFamily(operator: ConditionOperator): OperatorFamily {
  return byOperator.get(operator)!;
}

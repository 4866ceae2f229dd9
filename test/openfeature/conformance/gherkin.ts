import { readFileSync } from 'node:fs';
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } from '@cucumber/gherkin';
import { IdGenerator, type GherkinDocument, type Pickle } from '@cucumber/messages';

/** One runnable scenario: a pickle (an outline expanded with one Examples row), named for a test title. */
export interface Scenario {
  /** `<feature file>: <scenario name> [<example row>]`. */
  readonly title: string;
  /** The feature file's name. */
  readonly file: string;
  /** The scenario's name as written. */
  readonly name: string;
  /** Its tags and its Examples block's, e.g. `@reason-codes-cached`. */
  readonly tags: readonly string[];
  /** The steps, Background first, with outline placeholders filled in. */
  readonly steps: Pickle['steps'];
}

/** Parses a .feature file with the official Gherkin parser and expands it into scenarios. */
export function loadFeature(path: string): Scenario[] {
  const newId = IdGenerator.incrementing();
  const parser = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher());
  const document = parser.parse(readFileSync(path, 'utf8'));
  const file = path.split('/').pop()!;
  const rows = exampleRows(document);
  return compile(document, file, newId).map((pickle) => {
    const row = pickle.astNodeIds.map((id) => rows.get(id)).find((cells) => cells !== undefined);
    return {
      title: `${file}: ${pickle.name}${row ? ` [${row.join(' | ')}]` : ''}`,
      file,
      name: pickle.name,
      tags: pickle.tags.map((tag) => tag.name),
      steps: pickle.steps,
    };
  });
}

/** Every Examples row by its id, as the values of its cells. */
function exampleRows(document: GherkinDocument): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const child of document.feature?.children ?? []) {
    for (const examples of child.scenario?.examples ?? []) {
      for (const row of examples.tableBody) rows.set(row.id, row.cells.map((cell) => cell.value));
    }
  }
  return rows;
}

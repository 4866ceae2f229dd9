// Example 3: edits that should move nobody (a new description, a user added to the list)
// move nobody, for any flag and any users.
import fc from 'fast-check';
import { assertStableAssignment, flagArbitrary, timeArbitrary, userIdArbitrary } from 'phasegate/testing';
import { it } from 'vitest';

it('editing a description or listing one more user moves nobody else', () => {
  fc.assert(
    fc.property(flagArbitrary(), fc.array(userIdArbitrary(), { maxLength: 100 }), userIdArbitrary(), timeArbitrary(), (flag, users, vip, at) => {
      assertStableAssignment(flag, { ...flag, description: `${flag.description} (edited)` }, users, { at });
      assertStableAssignment(flag, { ...flag, enabledUsers: [...flag.enabledUsers, vip] }, users, { at, allowedToChange: [vip] });
    }),
  );
});

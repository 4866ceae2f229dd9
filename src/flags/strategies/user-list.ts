import * as z from 'zod';
import { INVALID_FIELD, readUserId } from '../context.js';
import { userIdSchema } from '../fields.js';
import { idSetFor, type IdLookup } from '../id-sets.js';
import { defineStrategy, isListedUser, membershipReasons } from './strategy.js';

/** User list: on for exactly the listed user ids. */
export const userListStrategySchema = z.strictObject({
  type: z.literal('userList'),
  userIds: z.array(userIdSchema).max(1_000_000, 'may hold at most 1,000,000 ids'),
});

/** A user-list rollout. */
export type UserListStrategy = z.infer<typeof userListStrategySchema>;

/** The `userList` strategy: on for exactly the listed users. */
export const userListStrategy = defineStrategy({
  type: 'userList',
  schema: userListStrategySchema,
  reasons: membershipReasons('userList', { match: 'USER_LIST_MATCH', noMatch: 'USER_LIST_NO_MATCH' }, 'the user', "in the strategy's user list"),
  compile(strategy: UserListStrategy, flag) {
    // A big list unchanged since the flag's previous version keeps its set (see id-sets.ts).
    const users: IdLookup = idSetFor(flag.key, strategy.userIds);
    return {
      decide(userId) {
        if (userId === undefined) return 'NO_USER_ID';
        return users.has(userId) ? 'USER_LIST_MATCH' : 'USER_LIST_NO_MATCH';
      },
      quick(context) {
        const userId = readUserId(context);
        if (userId === INVALID_FIELD) return -1;
        return userId !== undefined && userId.length !== 0 && (users.has(userId) || isListedUser(flag, userId)) ? 1 : 0;
      },
    };
  },
  describe: (strategy: UserListStrategy) => `${strategy.userIds.length} user(s)`,
  cli: {
    options: [{ name: 'users', kind: 'list', placeholder: 'a,b,c' }],
    help: 'user list',
    fromOptions: (values) => ({ type: 'userList', userIds: values.get('users') as string[] }),
  },
});

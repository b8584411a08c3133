/**
 * The CloudWatch Logs filter-pattern matcher against the examples of the CloudWatch Logs user guide
 * ("Filter pattern syntax for JSON log events": the two example log events and their patterns).
 */
import { matchesLogFilterPattern } from './log-filter-pattern';

const SIMPLE_EVENT = {
  'eventType': 'UpdateTrail',
  'sourceIPAddress': '111.111.111.111',
  'arrayKey': ['value', 'another value'],
  'objectList': [{ name: 'a', id: 1 }, { name: 'b', id: 2 }],
  'SomeObject': null,
  'cluster.name': 'c',
  'ThisFlag': true,
};

const COMPOUND_EVENT = {
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [{ id: 2, email: 'John.Doe@example.com' }, { id: 3, email: 'Jane.Doe@example.com' }],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [[0, 1], [2, 3]],
};

describe('CloudWatch Logs documented examples', () => {
  test.each<[string, object, boolean]>([
    ['{ $.eventType = "UpdateTrail" }', SIMPLE_EVENT, true],
    ['{ $.eventType = UpdateTrail }', SIMPLE_EVENT, true],
    ['{ $.eventType = "Update*" }', SIMPLE_EVENT, true],
    ['{ $.eventType = "CreateTrail" }', SIMPLE_EVENT, false],
    ['{ $.sourceIPAddress != 123.123.* }', SIMPLE_EVENT, true],
    ['{ $.sourceIPAddress != 111.111.* }', SIMPLE_EVENT, false],
    ['{ $.arrayKey[0] = "value" }', SIMPLE_EVENT, true],
    ['{ $.arrayKey[1] = "value" }', SIMPLE_EVENT, false],
    ['{ $.objectList[1].id = 2 }', SIMPLE_EVENT, true],
    ['{ $.objectList[1].id > 1 }', SIMPLE_EVENT, true],
    ['{ $.objectList[0].id >= 2 }', SIMPLE_EVENT, false],
    ['{ $.SomeObject IS NULL }', SIMPLE_EVENT, true],
    ['{ $.eventType IS NULL }', SIMPLE_EVENT, false],
    ['{ $.SomeOtherObject NOT EXISTS }', SIMPLE_EVENT, true],
    ['{ $.eventType NOT EXISTS }', SIMPLE_EVENT, false],
    ['{ $.ThisFlag IS TRUE }', SIMPLE_EVENT, true],
    ['{ $.ThisFlag IS FALSE }', SIMPLE_EVENT, false],
    ['{ $.missing = "x" }', SIMPLE_EVENT, false],
    ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', COMPOUND_EVENT, true],
    ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', COMPOUND_EVENT, false],
    // && binds tighter than ||.
    ['{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }', COMPOUND_EVENT, true],
    ['{ $.coordinates[1][0] = 2 }', COMPOUND_EVENT, true],
  ])('%s', (pattern, event, expected) => {
    expect(matchesLogFilterPattern(pattern, event)).toBe(expected);
    expect(matchesLogFilterPattern(pattern, JSON.stringify(event))).toBe(expected);
  });

  test.each([
    ['ERROR', /only JSON filter patterns/],
    ['{ $.a = %abc% }', /regular-expression/],
    ['{ $.a = "x" ', /only JSON/],
    ['{ ($.a = "x" }', /ends too early/],
    ['{ a = "x" }', /selector/],
    ['{ $.eventType < "x" }', /compares numbers only/],
  ])('rejects %s', (pattern, message) => {
    expect(() => matchesLogFilterPattern(pattern, SIMPLE_EVENT)).toThrow(message);
  });
});

/**
 * The event-pattern matcher against the examples of EventBridge's user guide ("Event patterns",
 * "Content filtering", "Arrays in event patterns", "Comparison operators"): each documented pattern
 * with an event it matches and one it does not.
 */
import { matchesEventPattern } from './event-pattern';

/** The EC2 state-change event the EventBridge user guide uses in its pattern examples. */
const EC2_EVENT = {
  'version': '0',
  'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '111122223333',
  'time': '2017-12-22T18:43:48Z',
  'region': 'us-west-1',
  'resources': ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  'detail': { 'instance-id': 'i-1234567890abcdef0', 'state': 'terminated' },
};

function withDetail(detail: object, extra: object = {}) {
  return { ...EC2_EVENT, ...extra, detail: { ...EC2_EVENT.detail, ...detail } };
}

describe('EventBridge documented examples', () => {
  test.each<[string, object, object, boolean]>([
    ['source and detail-type', { 'source': ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] }, EC2_EVENT, true],
    ['a value not listed', { source: ['aws.s3'] }, EC2_EVENT, false],
    ['a field missing from the event', { detail: { 'c-count': [5] } }, EC2_EVENT, false],
    ['nested detail field', { detail: { state: ['terminated'] } }, EC2_EVENT, true],
    ['values are alternatives (OR)', { detail: { state: ['running', 'terminated'] } }, EC2_EVENT, true],
    ['fields are all required (AND)', { source: ['aws.ec2'], detail: { state: ['running'] } }, EC2_EVENT, false],
    // Arrays: the pattern matches when the event array and the pattern list intersect.
    ['event array intersects', { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] }, EC2_EVENT, true],
    ['event array does not intersect', { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] }, EC2_EVENT, false],
    // Prefix, suffix, ignore case.
    ['prefix', { time: [{ prefix: '2017-12-22' }] }, EC2_EVENT, true],
    ['prefix no match', { time: [{ prefix: '2017-10-02' }] }, EC2_EVENT, false],
    ['prefix ignore case', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, withDetail({ service: 'eventbridge' }), true],
    ['suffix', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'cat.png' }), true],
    ['suffix is case sensitive', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'cat.PNG' }), false],
    ['suffix ignore case', { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, withDetail({ FileName: 'cat.PNG' }), true],
    ['equals-ignore-case', { detail: { name: [{ 'equals-ignore-case': 'alice' }] } }, withDetail({ name: 'ALICE' }), true],
    // Anything-but.
    ['anything-but string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, EC2_EVENT, true],
    ['anything-but string, same value', { detail: { state: [{ 'anything-but': 'terminated' }] } }, EC2_EVENT, false],
    ['anything-but number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, withDetail({ 'x-limit': 124 }), true],
    ['anything-but list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, EC2_EVENT, false],
    ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, EC2_EVENT, true],
    ['anything-but prefix, excluded', { detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, EC2_EVENT, false],
    ['anything-but suffix', { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, withDetail({ FileName: 'notes.txt' }), false],
    ['anything-but ignore case', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'TERMINATED'] } }] } }, EC2_EVENT, false],
    ['anything-but wildcard', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, withDetail({ FilePath: '/usr/lib/x' }), false],
    ['anything-but on a missing field', { detail: { missing: [{ 'anything-but': 'x' }] } }, EC2_EVENT, false],
    // Numeric.
    ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, withDetail({ 'c-count': 5 }), true],
    ['numeric range, outside', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, withDetail({ 'c-count': 6 }), false],
    ['numeric equals in exponent form', { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, withDetail({ 'x-limit': 301.8 }), true],
    ['numeric on a string never matches', { detail: { 'c-count': [{ numeric: ['>', 0] }] } }, withDetail({ 'c-count': '5' }), false],
    ['number literals compare numerically', { detail: { 'x-limit': [300] } }, withDetail({ 'x-limit': 300.0 }), true],
    // IP address.
    ['cidr', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, withDetail({ 'source-ip': '10.0.0.255' }), true],
    ['cidr, outside', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, withDetail({ 'source-ip': '10.0.1.0' }), false],
    // Exists.
    ['exists true', { detail: { state: [{ exists: true }] } }, EC2_EVENT, true],
    ['exists false on a present field', { detail: { state: [{ exists: false }] } }, EC2_EVENT, false],
    ['exists false on a missing field', { detail: { 'c-count': [{ exists: false }] } }, EC2_EVENT, true],
    // Null and empty values.
    ['null matches null', { detail: { responseElements: [null] } }, withDetail({ responseElements: null }), true],
    ['null does not match a missing field', { detail: { responseElements: [null] } }, EC2_EVENT, false],
    ['empty string', { detail: { eventVersion: [''] } }, withDetail({ eventVersion: '' }), true],
    // Wildcard.
    ['wildcard', { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }, true],
    ['wildcard, other Region', { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }, false],
    ['escaped star is literal', { name: [{ wildcard: 'a\\*b' }] }, { name: 'axb' }, false],
    // $or.
    ['$or, second branch', { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] } }, withDetail({ 'd-count': 3 }), true],
    ['$or, no branch', { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] } }, withDetail({ 'd-count': 30 }), false],
    ['$or at the top', { $or: [{ source: ['aws.s3'] }, { 'detail-type': ['EC2 Instance State-change Notification'] }] }, EC2_EVENT, true],
    // Arrays of objects flatten: any element's field.
    ['array of objects', { detail: { resources: { ARN: ['arn:b'] } } }, withDetail({ resources: [{ ARN: 'arn:a' }, { ARN: 'arn:b' }] }), true],
    ['array of objects, none', { detail: { resources: { ARN: ['arn:c'] } } }, withDetail({ resources: [{ ARN: 'arn:a' }, { ARN: 'arn:b' }] }), false],
    ['no resources at all', { detail: { resources: { ARN: ['arn:a'] } } }, EC2_EVENT, false],
  ])('%s', (_name, pattern, event, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  test.each([
    [{ source: [{ contains: 'ec2' }] }, /unsupported event-pattern operator 'contains'/],
    [{ source: [] }, /empty list/],
    [{ source: 'aws.ec2' }, /must be a list/],
    [{ $or: [{ source: ['x'] }] }, /at least two/],
  ])('rejects what EventBridge rejects or it does not know: %o', (pattern, message) => {
    expect(() => matchesEventPattern(pattern, EC2_EVENT)).toThrow(message);
  });
});

/**
 * KMS12: a CloudTrail trail must record KMS management events (PutKeyPolicy, ScheduleKeyDeletion,
 * DisableKey, ...), or changes to keys go unaudited.
 */
import { LintSeverity } from '../finding';
import { CLOUDTRAIL_TRAIL, Rule, isFalse } from '../rule';
import { Resolved, isOpaque, isPlainObject, textOf, toArray } from '../template';

const KMS_SOURCE = 'kms.amazonaws.com';

function strings(value: Resolved): string[] {
  return toArray(value).filter((item): item is string => typeof item === 'string');
}

/** Why basic event selectors miss KMS management events, or undefined when they record them. */
function basicSelectorsGap(selectors: Resolved[]): string | undefined {
  const management = selectors.filter((s) => isPlainObject(s) && !isFalse(s.IncludeManagementEvents));
  if (management.length === 0) return 'no event selector includes management events';
  const recording = management.filter((s) => isPlainObject(s) && !strings(s.ExcludeManagementEventSources).includes(KMS_SOURCE));
  if (recording.length === 0) return `every management event selector excludes ${KMS_SOURCE}`;
  if (recording.every((s) => isPlainObject(s) && s.ReadWriteType === 'ReadOnly')) return 'management events are recorded for reads only (ReadWriteType: ReadOnly)';
  return undefined;
}

interface FieldSelector { readonly field: string; readonly equals: string[]; readonly notEquals: string[] }

function fieldSelectors(selector: Resolved): FieldSelector[] {
  if (!isPlainObject(selector)) return [];
  return toArray(selector.FieldSelectors).filter(isPlainObject).map((field) => ({
    field: textOf(field.Field),
    equals: strings(field.Equals),
    notEquals: strings(field.NotEquals),
  }));
}

/** An advanced selector records KMS management events when it selects management events and does not filter KMS out. */
function advancedRecordsKms(selector: Resolved): boolean {
  const fields = fieldSelectors(selector);
  const category = fields.find((f) => f.field === 'eventCategory');
  if (!category?.equals.includes('Management')) return false;
  return fields.filter((f) => f.field === 'eventSource')
    .every((f) => !f.notEquals.includes(KMS_SOURCE) && (f.equals.length === 0 || f.equals.includes(KMS_SOURCE)));
}

export const trailRecordsKms: Rule = {
  id: 'KMS12',
  name: 'trail-kms-management-events',
  severity: LintSeverity.ERROR,
  resourceTypes: [CLOUDTRAIL_TRAIL],
  description: 'A CloudTrail trail whose event selectors exclude KMS management events does not record key-policy changes, key deletion or disabling.',
  fix: `Include management events (IncludeManagementEvents: true, ReadWriteType: All) and do not list ${KMS_SOURCE} in ExcludeManagementEventSources.`,
  check: ({ properties }) => {
    const { EventSelectors, AdvancedEventSelectors } = properties;
    if (isOpaque(EventSelectors) || isOpaque(AdvancedEventSelectors)) return [];
    const advanced = toArray(AdvancedEventSelectors);
    if (advanced.length > 0) {
      return advanced.some(advancedRecordsKms) ? [] : [{
        message: `no advanced event selector records management events from ${KMS_SOURCE}`,
        location: 'Properties.AdvancedEventSelectors',
      }];
    }
    const gap = basicSelectorsGap(toArray(EventSelectors));
    const selectorsGiven = toArray(EventSelectors).length > 0;
    return selectorsGiven && gap ? [{ message: `the trail misses KMS management events: ${gap}`, location: 'Properties.EventSelectors' }] : [];
  },
};

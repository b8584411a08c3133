import { KeyActions } from '../../key/actions';

/** A column of the access matrix: what a principal can do with a key. */
export interface Capability {
  readonly id: string;
  readonly label: string;
  /** Key usages the capability exists for; undefined = every key. */
  readonly usages?: readonly string[];
  /** The actions that make up the capability, given whether the key is symmetric. */
  actions(symmetric: boolean): readonly string[];
}

const DELETE = 'kms:ScheduleKeyDeletion';
const CANCEL_DELETE = 'kms:CancelKeyDeletion';
const DISABLE = 'kms:DisableKey';
const CREATE_GRANT = 'kms:CreateGrant';

/** Every principal needs DescribeKey, so it says nothing about a capability. */
function withoutDescribe(...lists: readonly string[][]): string[] {
  return [...new Set(lists.flat())].filter((action) => !KeyActions.DESCRIBE.includes(action)).sort();
}

/** The eleven columns, in display order, with their actions from the ManagedKey action catalogue. */
export const CAPABILITIES: readonly Capability[] = [
  {
    id: 'administer',
    label: 'administer',
    actions: () => withoutDescribe(KeyActions.ADMINISTER).filter((a) => ![DELETE, CANCEL_DELETE, DISABLE].includes(a)),
  },
  { id: 'change-policy', label: 'change policy', actions: () => [...KeyActions.CHANGE_POLICY] },
  { id: 'delete', label: 'delete', actions: () => [DELETE] },
  { id: 'disable', label: 'disable', actions: () => [DISABLE] },
  {
    id: 'encrypt',
    label: 'encrypt',
    usages: ['ENCRYPT_DECRYPT'],
    actions: (symmetric) => withoutDescribe(symmetric ? KeyActions.ENCRYPT_SYMMETRIC : KeyActions.ENCRYPT_ASYMMETRIC),
  },
  {
    id: 'decrypt',
    label: 'decrypt',
    usages: ['ENCRYPT_DECRYPT'],
    actions: (symmetric) => withoutDescribe(symmetric ? KeyActions.DECRYPT_SYMMETRIC : KeyActions.DECRYPT_ASYMMETRIC),
  },
  { id: 'sign', label: 'sign', usages: ['SIGN_VERIFY'], actions: () => withoutDescribe(KeyActions.SIGN) },
  { id: 'verify', label: 'verify', usages: ['SIGN_VERIFY'], actions: () => withoutDescribe(KeyActions.VERIFY) },
  { id: 'mac', label: 'MAC', usages: ['GENERATE_VERIFY_MAC'], actions: () => withoutDescribe(KeyActions.GENERATE_MAC, KeyActions.VERIFY_MAC) },
  { id: 'derive', label: 'derive', usages: ['KEY_AGREEMENT'], actions: () => withoutDescribe(KeyActions.DERIVE_SHARED_SECRET) },
  { id: 'create-grant', label: 'create grant', actions: () => [CREATE_GRANT] },
];

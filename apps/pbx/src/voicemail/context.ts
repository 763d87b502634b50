/**
 * What the deposit and retrieval runners share: the call engine, the store, the files and the
 * lamp. Built once by `installVoicemail` (index.ts).
 */
import type { Store } from '@pbx/store';
import type { CallEnv } from '../engine/call-env';
import type { MailboxFiles } from './mailbox-files';
import type { VmCall } from './vm-call';

export interface VoicemailContext {
  readonly env: CallEnv;
  readonly store: Store;
  readonly files: MailboxFiles;
  /** Routes the call's BYE and re-INVITEs to it while it lasts. */
  track(vm: VmCall): void;
  /** Writes the station's counts through the mailbox interface (MWI NOTIFYs follow). */
  updateLamp(tel: string): Promise<void>;
}

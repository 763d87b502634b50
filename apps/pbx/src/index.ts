export { startPbx, makeLogger } from './pbx';
export type { StartPbxOptions, RunningPbx } from './pbx';
export type { AppContext, PbxModule } from './context';
export { AppliedChanges } from './applied-changes';
export type { AppliedChange, AppliedChangesEvents } from './applied-changes';

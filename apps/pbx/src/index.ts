export { startPbx, makeLogger } from './pbx';
export { snapshotProcessEnv } from './process-env';
export type { StartPbxOptions, RunningPbx } from './pbx';
export type { AppContext, PbxModule } from './context';
export type { CallControl } from './call-control';
export type { RegistrarModule } from './registrar';
export { AppliedChanges } from './applied-changes';
export type { AppliedChange, AppliedChangesEvents } from './applied-changes';

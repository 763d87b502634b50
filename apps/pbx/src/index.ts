export { startPbx, makeLogger } from './pbx';
export type { StartPbxOptions, RunningPbx } from './pbx';
export type { AppContext, PbxModule } from './context';

/** The feature modules of the PBX, installed in order. Each lives in its own folder. */
import type { AppContext, PbxModule } from './context';
import { installRegistrar } from './registrar';

export async function installModules(ctx: AppContext): Promise<PbxModule[]> {
  const modules: PbxModule[] = [];
  for (const install of INSTALLERS) modules.push(await install(ctx));
  return modules;
}

type Installer = (ctx: AppContext) => PbxModule | Promise<PbxModule>;

/** Order matters: the registrar first, so calls can see registrations. */
const INSTALLERS: Installer[] = [
  (ctx) => installRegistrar(ctx),
  (ctx) => import('./routing').then((m) => m.installCalls(ctx)),
  (ctx) => import('./events').then((m) => m.installEvents(ctx)),
];

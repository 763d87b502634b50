/**
 * The modules of the PBX, installed in order on their SIP ports. Part of the composition root:
 * the registrar first, so blocked addresses are turned away before any other handler runs and
 * call control reads registrations from it.
 */
import type { AppContext, PbxModule } from './context';
import type { MediaPort } from './engine/media-port';
import { installCalls, type CallControl } from './call-control';
import { installRegistrar, type RegistrarModule } from './registrar';
import { answerOptions, answerUnservedSubscribe, type SrfApp } from './signalling/srf';
import { srfCallPort } from './signalling/srf-call-port';
import { srfRegistrarPort } from './signalling/srf-registrar-port';

/** Every installed module, by name, and in installation order. */
export interface InstalledModules {
  readonly registrar: RegistrarModule;
  readonly calls: CallControl;
  /** In installation order (stopped in reverse). */
  readonly all: readonly PbxModule[];
}

export async function installModules(
  ctx: AppContext,
  srf: SrfApp,
  media: MediaPort,
): Promise<InstalledModules> {
  const registrar = await installRegistrar(
    ctx,
    srfRegistrarPort(srf, ctx.log.child({ module: 'registrar' })),
  );
  answerOptions(srf);
  // No event package is served yet: presence and message-waiting will register theirs here.
  answerUnservedSubscribe(srf, [], ctx.log.child({ module: 'events' }));
  try {
    const calls = await installCalls(
      ctx,
      srfCallPort(srf, ctx.log.child({ component: 'calls' })),
      registrar.lookup,
      media,
    );
    return { registrar, calls, all: [registrar, calls] };
  } catch (err) {
    await registrar.stop();
    throw err;
  }
}

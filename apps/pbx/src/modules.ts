/**
 * The modules of the PBX, installed in order on their SIP ports. Part of the composition root:
 * the registrar first, so blocked addresses are turned away before any other handler runs and
 * call control reads registrations from it.
 */
import type { AppContext, PbxModule } from './context';
import type { MediaPort } from './engine/media-port';
import { installCalls, type CallControl } from './call-control';
import { installRegistrar, type RegistrarModule } from './registrar';
import { installMessages, type MessagesControl } from './messages-control';
import { installPresence, type PresenceControl } from './presence-control';
import { installVoicemail, type VoicemailModule } from './voicemail';
import { answerOptions, type SrfApp } from './signalling/srf';
import { srfEventPort } from './signalling/srf-event-port';
import { srfMessagePort } from './signalling/srf-message-port';
import { srfCallPort } from './signalling/srf-call-port';
import { srfRegistrarPort } from './signalling/srf-registrar-port';
import { srfTrunkPort } from './signalling/srf-trunk-port';

/** Every installed module, by name, and in installation order. */
export interface InstalledModules {
  readonly registrar: RegistrarModule;
  readonly calls: CallControl;
  readonly presence: PresenceControl;
  readonly messages: MessagesControl;
  /** Voice mail (mailboxes, deposits, the access code's menu). */
  readonly voicemail: VoicemailModule;
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
  try {
    const calls = await installCalls(
      ctx,
      srfCallPort(srf, ctx.log.child({ component: 'calls' })),
      registrar.lookup,
      srfTrunkPort(srf, ctx.log.child({ component: 'trunks' })),
      media,
      registrar.inviteAuth,
    );
    const presence = await installPresence(
      ctx,
      srfEventPort(srf, ctx.log.child({ module: 'presence' })),
      calls,
      registrar.lookup,
    );
    const messages = await installMessages(
      ctx,
      srfMessagePort(srf, ctx.log.child({ module: 'messages' })),
      calls,
      registrar.lookup,
    );
    // After presence: the lamps are written through its mailbox interface.
    const voicemail = await installVoicemail(ctx, calls.env, presence.mailboxes);
    return {
      registrar,
      calls,
      presence,
      messages,
      voicemail,
      all: [registrar, calls, presence, messages, voicemail],
    };
  } catch (err) {
    await registrar.stop();
    throw err;
  }
}

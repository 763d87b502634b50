/** Options of {@link startMediaServer}, validated with zod (clear messages for the bin's exit 2). */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const mediaServerOptionsSchema = z
  .object({
    sip: z.object({ host: z.ipv4().default('127.0.0.1'), port: port.default(5080) }).prefault({}),
    esl: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8021),
        password: z.string().min(1).default('ClueCon'),
      })
      .prefault({}),
    rtp: z
      .object({
        address: z.ipv4().optional(),
        portMin: z.number().int().min(1024).max(65534).default(20000),
        portMax: z.number().int().min(1025).max(65535).default(20999),
      })
      .refine((r) => r.portMin < r.portMax, { message: 'rtp port range: min must be below max' })
      .prefault({}),
    soundsDir: z.string().optional(),
    /** Where relative recording paths go (default: the working directory). */
    recordingsDir: z.string().optional(),
    /** sofia profile name (fsmrf `profile` option, default drachtio_mrf). */
    profile: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('drachtio_mrf'),
    maxSessions: z.number().int().positive().default(1000),
    heartbeatSeconds: z.number().positive().default(20),
    unknownApplication: z.enum(['hangup', 'error']).default('hangup'),
    hostname: z.string().optional(),
    /**
     * Where the media engine runs: `worker` (default) is a worker thread with its own heap, so
     * the control thread's garbage collections and busy spells never delay a paced packet;
     * `main` runs it on the caller's thread.
     */
    mediaThread: z.enum(['worker', 'main']).default('worker'),
    /**
     * The media worker's young generation in MiB (V8 resourceLimits); V8's default size if unset
     * (48: three semi-spaces of 16 MiB, whatever --max-semi-space-size the process has), which
     * is what the README's "Allocation per frame" measurement recommends (fixed sizes brought
     * mark-compacts, not fewer pauses).
     */
    mediaYoungGenerationMb: z.number().positive().optional(),
    /** Nice value of the media worker thread alone (Linux; lowering it needs CAP_SYS_NICE). */
    mediaThreadNice: z.number().int().min(-20).max(19).optional(),
  })
  .strict();

export type MediaServerOptionsInput = z.input<typeof mediaServerOptionsSchema>;
export type MediaServerOptionsResolved = z.output<typeof mediaServerOptionsSchema>;

/** The web console's passwords (administrator and station CTI), as both front ends check them. */
import { InputError } from './errors';

/** Any printable text of 6 to 128 characters (stored only as a hash). */
export function checkWebPassword(pw: string, label = 'password'): string {
  if (pw.length < 6 || pw.length > 128)
    throw new InputError(`${label}: must be 6 to 128 characters`);
  if (/\p{Cc}/u.test(pw)) throw new InputError(`${label}: must not contain control characters`);
  return pw;
}

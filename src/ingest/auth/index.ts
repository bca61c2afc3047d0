export { createSigV4Verifier, type SigV4Identity, type SigV4Request, type SigV4Verifier, type SigV4VerifierOptions } from './sigv4.js';
export { SIGNATURE_MISMATCH } from './errors.js';

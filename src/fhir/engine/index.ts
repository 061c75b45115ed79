import type { OpParams } from '../params.js';
import { TxError } from './context.js';
import { type EngineAnswer, engineError, engineExpand, engineHandles, engineLookup, engineValidateCode } from './ops.js';

/**
 * Entry of the general terminology engine: the answer for an operation request the engine handles
 * (one that supplies its own resources), or undefined to leave it to MedCodes' own handlers.
 */
export function engineOperation(type: string, op: string, p: OpParams, acceptLanguage?: string): EngineAnswer | undefined {
  if (!engineHandles(p)) return undefined;
  try {
    if (type === 'ValueSet' && op === 'expand') return engineExpand(p, acceptLanguage);
    if (type === 'ValueSet' && op === 'validate-code') return engineValidateCode(p, 'ValueSet');
    if (type === 'CodeSystem' && op === 'validate-code') return engineValidateCode(p, 'CodeSystem');
    if (type === 'CodeSystem' && op === 'lookup') return engineLookup(p);
    return undefined;
  } catch (e) {
    if (e instanceof TxError) return engineError(e);
    throw e;
  }
}

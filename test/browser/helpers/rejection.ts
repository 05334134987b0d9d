import { expect } from '@open-wc/testing';
import { Sam2Error } from '../../../src/shared/errors.js';

/** The Sam2Error a promise rejects with (fails the test if it resolves or rejects with something else). */
export async function rejection(p: Promise<unknown>): Promise<Sam2Error> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(Sam2Error);
    return e as Sam2Error;
  }
  throw new Error('expected a rejection');
}

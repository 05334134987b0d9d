// web-test-runner's mocha provides these globals in the browser, but @types/mocha is not a dependency
// (and tsconfig limits ambient @types to "node"), so declare just the subset the browser tests use.
// node:test files import their own describe/it, which shadow these.

interface MochaTestInfo {
  title: string;
  fullTitle(): string;
  duration?: number;
  state?: 'failed' | 'passed' | 'pending';
}
interface MochaContext {
  timeout(ms: number): void;
  slow(ms: number): void;
  retries(n: number): void;
  skip(): never;
  /** The test being run; inside beforeEach/afterEach, the test the hook wraps. */
  currentTest?: MochaTestInfo;
}
// A single signature (rather than a union for sync/async/done styles) keeps `this` contextually typed.
type MochaCallback = (this: MochaContext, done: (error?: unknown) => void) => void | PromiseLike<unknown>;
type MochaSuiteCallback = (this: MochaContext) => void;

interface MochaSuiteFn {
  (title: string, fn: MochaSuiteCallback): void;
  only(title: string, fn: MochaSuiteCallback): void;
  skip(title: string, fn: MochaSuiteCallback): void;
}
interface MochaTestFn {
  (title: string, fn?: MochaCallback): void;
  only(title: string, fn?: MochaCallback): void;
  skip(title: string, fn?: MochaCallback): void;
}

declare const describe: MochaSuiteFn;
declare const it: MochaTestFn;
declare function before(fn: MochaCallback): void;
declare function after(fn: MochaCallback): void;
declare function beforeEach(fn: MochaCallback): void;
declare function afterEach(fn: MochaCallback): void;

// web-test-runner's mocha provides these globals in the browser, but @types/mocha is not a dependency
// (and tsconfig limits ambient @types to "node"), so declare just the subset the browser tests use.
// node:test files import their own describe/it, which shadow these.

type MochaDone = (error?: unknown) => void;
interface MochaContext {
  timeout(ms: number): void;
  skip(): never;
}
type MochaFn = (this: MochaContext, done: MochaDone) => void | Promise<unknown>;
type MochaAsyncFn = (this: MochaContext) => void | Promise<unknown>;

declare function describe(title: string, fn: (this: MochaContext) => void): void;
declare function it(title: string, fn?: MochaAsyncFn | MochaFn): void;
declare function before(fn: MochaAsyncFn | MochaFn): void;
declare function after(fn: MochaAsyncFn | MochaFn): void;
declare function beforeEach(fn: MochaAsyncFn | MochaFn): void;
declare function afterEach(fn: MochaAsyncFn | MochaFn): void;

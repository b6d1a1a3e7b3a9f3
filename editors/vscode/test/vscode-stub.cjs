// A stand-in for the `vscode` module in unit tests (node's test runner has no VS Code); the
// test bundles alias `vscode` to it (esbuild.mjs). What the modules under test use is real
// enough to observe; any other name is an inert class, so that vscode-languageclient loads
// (it subclasses a few vscode classes at load time).
'use strict';

class Disposable {
  constructor(callOnDispose = () => {}) { this.callOnDispose = callOnDispose; }
  static from(...items) { return new Disposable(() => items.forEach((i) => i.dispose())); }
  dispose() { this.callOnDispose(); }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (listener) => {
      this.listeners.push(listener);
      return new Disposable(() => { this.listeners = this.listeners.filter((l) => l !== listener); });
    };
  }
  fire(e) { this.listeners.forEach((l) => l(e)); }
  dispose() { this.listeners = []; }
}

/** Every status bar item created, in order (tests look at the last one). */
const statusBarItems = [];

const window = {
  createStatusBarItem(id) {
    const item = {
      id, text: '', tooltip: undefined, name: undefined, command: undefined, visible: false,
      show() { item.visible = true; },
      hide() { item.visible = false; },
      dispose() { item.visible = false; },
    };
    statusBarItems.push(item);
    return item;
  },
};

// __esModule: TypeScript's import helpers then use this module as it is (through the proxy).
/** Commands registered through the stub, by id. */
const registeredCommands = new Map();
const commands = {
  registerCommand(id, handler) {
    registeredCommands.set(id, handler);
    return new Disposable(() => registeredCommands.delete(id));
  },
  executeCommand(id, ...args) { return Promise.resolve(registeredCommands.get(id)(...args)); },
};

const known = { __esModule: true, Disposable, EventEmitter, StatusBarAlignment: { Left: 1, Right: 2 }, window, statusBarItems,
                commands };

module.exports = new Proxy(known, {
  get(target, name) {
    if (!(name in target) && typeof name === 'string' && name !== 'then') {
      target[name] = class {};
    }
    return target[name];
  },
});

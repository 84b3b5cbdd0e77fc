// The base of every panel: a dockview content renderer (element, init, dispose) holding the Lab
// and the listeners it subscribed, so disposing a panel unsubscribes everything it added.
import type { GroupPanelPartInitParameters, IContentRenderer } from 'dockview';
import type { Lab } from '../lab.ts';
import { h } from '../plot.ts';

export abstract class Panel implements IContentRenderer {
  readonly element: HTMLElement;
  protected params: Record<string, unknown> = {};
  protected api!: GroupPanelPartInitParameters['api'];
  private offs: (() => void)[] = [];

  constructor(protected lab: Lab, id: string) {
    this.element = h('div', { class: `panel panel-${id}`, 'data-panel': id });
  }

  init(p: GroupPanelPartInitParameters): void {
    this.params = (p.params ?? {}) as Record<string, unknown>;
    this.api = p.api;
    this.mount();
  }

  /** Build the DOM and subscribe to the Lab's events. */
  protected abstract mount(): void;

  /** Persist a value in the panel's params (saved with the layout). */
  protected setParam(key: string, value: unknown): void {
    this.params[key] = value;
    this.api?.updateParameters({ ...this.params });
  }

  protected listen(off: () => void): void {
    this.offs.push(off);
  }

  /** A line for when the panel waits for something ("start training first"). */
  protected note(text: string): HTMLElement {
    return h('div', { class: 'note' }, text);
  }

  dispose(): void {
    this.offs.forEach((f) => f());
    this.offs = [];
  }
}

/** The message area: errors, warnings and notes for the user, each dismissable. */

export type MessageKind = 'error' | 'warn' | 'info';

export class MessageBoard {
  private readonly container: HTMLElement;
  /** By key, so that a newer message about the same thing replaces the older one. */
  private readonly shown = new Map<string, HTMLDivElement>();

  constructor(container: HTMLElement) {
    this.container = container;
  }

  /** Shows (or replaces, by key) a message; errors stay until closed or replaced. */
  show(kind: MessageKind, title: string, lines: string[], key = title): void {
    this.shown.get(key)?.remove();
    const box = document.createElement('div');
    box.className = `message ${kind}`;
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    box.dataset['key'] = key;
    const strong = document.createElement('strong');
    strong.textContent = title;
    box.appendChild(strong);
    if (lines.length > 0) box.appendChild(document.createTextNode(lines.join('\n')));
    const close = document.createElement('button');
    close.className = 'close';
    close.type = 'button';
    close.textContent = '×';
    close.title = 'Dismiss';
    close.addEventListener('click', () => {
      box.remove();
      this.shown.delete(key);
    });
    box.appendChild(close);
    this.container.appendChild(box);
    this.shown.set(key, box);
  }

  clear(key: string): void {
    this.shown.get(key)?.remove();
    this.shown.delete(key);
  }

  /** What is on screen now, in order (for `window.__metrabs.messages()`). */
  list(): { kind: string; text: string }[] {
    return [...this.container.querySelectorAll<HTMLDivElement>('.message')].map((m) => ({
      kind: m.classList.contains('error')
        ? 'error'
        : m.classList.contains('warn')
          ? 'warn'
          : 'info',
      // The text ends with the close button's ×.
      text: (m.textContent ?? '').replace(/×$/, ''),
    }));
  }
}

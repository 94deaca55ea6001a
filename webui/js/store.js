// The readers and cards the daemon sees, kept live from its notifications (docs/api.md §5): loaded with
// readers.list + cards.list on every (re)connect, then changed by reader.added/removed and
// card.inserted/removed. Subscribers get (state, event).

export function createStore(client) {
  const state = { loaded: false, loading: false, error: null, readers: new Map() };
  const subscribers = new Set();
  const notify = (event) => { for (const fn of subscribers) fn(state, event); };
  const entry = (name) => {
    if (!state.readers.has(name)) state.readers.set(name, { name, cardPresent: false, cardError: null, card: null });
    return state.readers.get(name);
  };

  let inFlight = null;
  /** Reloads both lists; a call while a load runs shares it. */
  function load() {
    if (!inFlight) inFlight = loadOnce().finally(() => { inFlight = null; });
    return inFlight;
  }

  async function loadOnce() {
    state.loading = true;
    notify({ type: "loading" });
    try {
      const [readers, cards] = await Promise.all([client.listReaders(), client.listCards()]);
      state.readers = new Map();
      for (const r of readers) Object.assign(entry(r.name), { cardPresent: r.cardPresent, cardError: r.cardError || null });
      for (const c of cards) Object.assign(entry(c.reader), { cardPresent: true, card: c });
      state.error = null;
      state.loaded = true;
    } catch (error) {
      state.error = error;
    }
    state.loading = false;
    notify({ type: "loaded" });
  }

  client.on("connected", load);
  client.on("reader.added", ({ reader }) => { entry(reader); notify({ type: "reader.added", reader }); });
  client.on("reader.removed", ({ reader }) => { state.readers.delete(reader); notify({ type: "reader.removed", reader }); });
  client.on("card.inserted", ({ reader, card, error }) => {
    Object.assign(entry(reader), { cardPresent: true, card: card || null, cardError: card ? null : error || null });
    notify({ type: "card.inserted", reader });
  });
  client.on("card.pinChanged", ({ reader, cardId, pin }) => {
    const r = state.readers.get(reader);
    if (!r || !r.card || r.card.cardId !== cardId) return;
    r.card = { ...r.card, pin };
    notify({ type: "card.pinChanged", reader });
  });
  client.on("card.removed", ({ reader }) => {
    Object.assign(entry(reader), { cardPresent: false, card: null, cardError: null });
    notify({ type: "card.removed", reader });
  });

  return {
    state,
    load,
    subscribe(fn) { subscribers.add(fn); return () => subscribers.delete(fn); },
    /** Readers sorted by name. */
    readers() { return [...state.readers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); },
    /** The readable cards, sorted by reader. */
    cards() { return this.readers().filter((r) => r.card).map((r) => r.card); },
  };
}

// The floor of a document answered from memory: a module Worker that gives back, for a URL, the
// body and headers it was handed once (`POST /keep`), as one `new Response`. bench/host/run.py
// hands it Doorward's own discovery and JWKS answers, so the same bytes and headers cost here
// what the runtime charges for them, with no routing, cache check or wasm: what no worker
// answering them can go below. They are kept in the cheapest form the runtime takes (and the
// one Doorward's hot path keeps, src/http/hot_routes.rs): the bytes encoded once, the headers
// in one `Headers`; each Response copies both.
const kept = new Map();

async function keep(request) {
  const { url, body, headers } = await request.json();
  kept.set(url, { body: new TextEncoder().encode(body), init: { headers: new Headers(headers) } });
  return new Response(null, { status: 204 });
}

export default {
  // Not `async`: a kept answer is given synchronously, as Doorward's hot path gives it.
  fetch(request) {
    const answer = kept.get(request.url);
    if (answer !== undefined) return new Response(answer.body, answer.init);
    if (request.method === "POST" && new URL(request.url).pathname === "/keep") return keep(request);
    return new Response("not kept", { status: 404 });
  },
};

// The runtime's floor: the smallest module Worker, answering what Doorward's /healthz answers.
export default {
  fetch() {
    return new Response('{"status":"ok"}', { headers: { "Content-Type": "application/json" } });
  },
};

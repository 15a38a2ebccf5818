// A Node client of inferbus's event-bus bridge: submits a transliteration, prints the Cyrillic as it
// is written, and exits (0 when the job succeeded, 1 otherwise).
//   npm install @vertx/eventbus-bridge-client.js@1.0.0 sockjs-client@1.6.1
//   node bridge-example.mjs [http://127.0.0.1:8080] ["privet, kak dela?"]
import EventBus from '@vertx/eventbus-bridge-client.js';

const url = process.argv[2] || 'http://127.0.0.1:8080';
const text = process.argv[3] || 'privet, kak dela?';
const eb = new EventBus(url + '/eventbus', { vertxbus_ping_interval: 5000 });

eb.onerror = (err) => {
  console.error('bridge error:', err.message || err);
  process.exit(1);
};

eb.onopen = () => {
  eb.send('inferbus.submit', { task: 'transliterate', input: text }, (err, reply) => {
    if (err || reply.body.error) {
      console.error('refused:', err ? err.message : reply.body.error.message);
      process.exit(1);
    }
    eb.registerHandler(reply.body.events, (error, message) => {
      if (error) {
        console.error('cannot follow the job:', error.message);
        process.exit(1);
      }
      const { type, data } = message.body;
      if (type === 'progress' && data.delta) {
        process.stdout.write(data.delta);
      }
      if (['succeeded', 'failed', 'cancelled', 'expired'].includes(type)) {
        process.stdout.write('\n');
        eb.close();
        process.exit(type === 'succeeded' ? 0 : 1);
      }
    });
  });
};

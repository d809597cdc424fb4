import { useContentEncoding } from '@whatwg-node/server';
import type { Plugin } from 'graphql-yoga';

const STREAMS = /^(?:text\/event-stream|multipart\/mixed)/;

/**
 * gzip (or deflate) of answers for clients that accept it — a whole chain is ~4× smaller — except
 * streams: a compressor holds events back until it has a block to emit, so a subscription over SSE or
 * multipart would see nothing. Decided on the response's type, not the request's Accept: a client that
 * accepts anything (`*∕*`, or no Accept) gets a stream for a subscription too.
 */
export function useCompression(): Plugin {
  const encoding = useContentEncoding();
  return {
    onRequest: encoding.onRequest as Plugin['onRequest'],
    onResponse(payload) {
      if (STREAMS.test(payload.response.headers.get('content-type') ?? '')) {
        // yoga marks its event streams `Content-Encoding: none`, which is no content coding at all.
        if (payload.response.headers.get('content-encoding') === 'none') {
          payload.response.headers.delete('content-encoding');
        }
        return;
      }
      return (encoding.onResponse as NonNullable<Plugin['onResponse']>)(payload);
    },
  };
}

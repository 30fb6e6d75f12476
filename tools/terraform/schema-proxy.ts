import {
  type ClientHttp2Stream,
  connect,
  constants,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { connect as connectSocket } from "node:net";
import { type SchemaResponseParts, schemaResponseParts, scopedSchemaResponse } from "./schema-scope";

/** The RPC that returns the provider's schema, in protocol 5 (tfplugin5.8.proto: `service Provider`). */
export const GET_SCHEMA_PATH = "/tfplugin5.Provider/GetSchema";

/** The proxy's HTTP/2 connection to the provider's own socket. */
type ProviderConnection = ReturnType<typeof connect>;

/** gRPC's message prefix: a compressed flag byte, then the length as a 4-byte big-endian integer. */
const GRPC_PREFIX_BYTES = 5;

/**
 * How often the proxies sent the schema scoped and whole, and how often from the copy they kept, for the
 * pool's tests and the run's summary.
 */
export interface SchemaCounts {
  scoped: number;
  whole: number;
  fromCopy: number;
}

/** A provider's answer to GetSchema as it came: headers, the message cut into fields, trailers. */
interface SchemaAnswer {
  readonly headers: IncomingHttpHeaders;
  readonly message: Uint8Array;
  readonly parts: SchemaResponseParts;
  readonly trailers: IncomingHttpHeaders;
}

/** The one uncompressed message of a unary gRPC response body, or undefined for anything else. */
function singleMessage(body: Buffer): Buffer | undefined {
  if (body.length < GRPC_PREFIX_BYTES || body[0] !== 0) return undefined;
  const length = body.readUInt32BE(1);
  return length + GRPC_PREFIX_BYTES === body.length ? body.subarray(GRPC_PREFIX_BYTES) : undefined;
}

function framed(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Request headers for the provider: the client's own, less the pseudo-headers Node sets per connection. */
function forwardedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (name !== ":scheme" && name !== ":authority" && value !== undefined) forwarded[name] = value;
  return forwarded;
}

/**
 * An HTTP/2 proxy on a Unix socket in front of one provider process started in debug mode: Terraform
 * attaches to it instead of the provider, and every gRPC call passes through unchanged, but for the
 * schema, which it sends scoped to the types of the command being served (schema-scope.ts). Each
 * connection Terraform opens gets a connection of its own to the provider, closed with it, so the provider
 * sees its clients come and go as it would without the proxy.
 */
export class SchemaScopingProxy {
  private scope: ReadonlySet<string> | undefined;
  /** The provider's schema, kept once it says a cached copy will do (schema-scope.ts, schemaOptional). */
  private schemaCopy: SchemaAnswer | undefined;
  /** Terraform's open connections, each destroyed when the proxy closes. */
  private readonly connections = new Set<{ destroy(): void }>();

  private constructor(
    private readonly server: Http2Server,
    readonly socketPath: string,
  ) {}

  static start(
    providerSocket: string,
    socketPath: string,
    counts: SchemaCounts,
  ): Promise<SchemaScopingProxy> {
    const server = createServer();
    const proxy = new SchemaScopingProxy(server, socketPath);
    // Node's name for the event of a new HTTP/2 connection, one per terraform command that attaches.
    server.on("session", (connection) => {
      proxy.connections.add(connection);
      const provider = connect("http://provider", { createConnection: () => connectSocket(providerSocket) });
      provider.on("error", () => connection.destroy());
      connection.on("close", () => {
        proxy.connections.delete(connection);
        provider.close();
      });
      connection.on("stream", (stream, headers) => proxy.relay(stream, headers, provider, counts));
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve(proxy));
    });
  }

  /** The types the next commands' schema holds; undefined sends the whole schema. */
  scopeTo(types: ReadonlySet<string> | undefined): void {
    this.scope = types;
  }

  /** Stops listening and closes every connection; resolves once the server has closed. */
  close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    provider: ProviderConnection,
    counts: SchemaCounts,
  ): void {
    const isSchema = headers[":path"] === GET_SCHEMA_PATH;
    const copy = this.schemaCopy;
    if (isSchema && copy) {
      counts.fromCopy += 1;
      stream.resume();
      this.answerSchema(stream, copy, counts);
      return;
    }
    let upstream: ClientHttp2Stream;
    try {
      upstream = provider.request(forwardedHeaders(headers));
    } catch {
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    let trailers: IncomingHttpHeaders = {};
    upstream.on("trailers", (received) => {
      trailers = received;
    });
    upstream.on("error", () => {
      if (!stream.closed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    });
    stream.on("error", () => {
      if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
    });
    stream.on("close", () => {
      if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
    });
    stream.pipe(upstream);
    upstream.on("response", (responseHeaders, flags) => {
      if (stream.closed) return;
      if (flags & constants.NGHTTP2_FLAG_END_STREAM) {
        // A trailers-only answer: gRPC's status comes in the headers, with no body.
        stream.respond(responseHeaders, { endStream: true });
        return;
      }
      if (!isSchema) {
        stream.respond(responseHeaders, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers(forwardedHeaders(trailers)));
        upstream.pipe(stream);
        return;
      }
      const chunks: Buffer[] = [];
      upstream.on("data", (chunk: Buffer) => chunks.push(chunk));
      upstream.on("end", () => {
        const body = Buffer.concat(chunks);
        const message = singleMessage(body);
        if (!message || trailers["grpc-status"] !== "0") {
          // Not one plain, successful message: Terraform gets it as the provider sent it.
          counts.whole += 1;
          stream.respond(responseHeaders, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers(forwardedHeaders(trailers)));
          stream.end(body);
          return;
        }
        const answer = { headers: responseHeaders, message, parts: schemaResponseParts(message), trailers };
        if (answer.parts.schemaOptional) this.schemaCopy = answer;
        this.answerSchema(stream, answer, counts);
      });
    });
  }

  /** Sends `answer`, scoped to the current command's types when they are known. */
  private answerSchema(stream: ServerHttp2Stream, answer: SchemaAnswer, counts: SchemaCounts): void {
    if (stream.closed) return;
    const scope = this.scope;
    if (scope) counts.scoped += 1;
    else counts.whole += 1;
    const message = scope ? scopedSchemaResponse(answer.parts, scope).message : answer.message;
    stream.respond(answer.headers, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers(forwardedHeaders(answer.trailers)));
    stream.end(framed(message));
  }
}

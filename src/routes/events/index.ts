/**
 * The event WebSocket (spec §4.7, §13.6): authenticated like every IDX API before the upgrade, then a
 * subscriber of the event hub for the initiating participant only. Heartbeats run on real time (they
 * keep the socket alive); the token's expiry is checked against the simulated clock on each heartbeat.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import type { Authenticator } from '../../plugins/auth.js';
import type { QueryOf } from '../../contract/types/index.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { ControlFrame, EventFrame, Subscriber } from '../../services/event-hub.js';

/** Close code sent when the bearer token expires while the socket is open (4000-4999: application codes). */
export const CLOSE_TOKEN_EXPIRED = 4001;
/**
 * Close code sent to a subscriber that falls too far behind: more than IDX_SIM_EVENT_MAX_BUFFERED_BYTES of
 * frames it has not read. Events are not replayed; it reconnects and reconciles by listing its queue.
 */
export const CLOSE_TOO_SLOW = 4002;
/** RFC 6455 §7.4.1 "going away": the hub is shutting down. */
export const CLOSE_GOING_AWAY = 1001;

/**
 * @fastify/websocket's errorHandler: an error on an open event socket is a client's bad frame (invalid
 * UTF-8, a frame over maxPayload, a bad opcode) or a dropped connection — logged at warn without a
 * stack, never as a server error (issue 7, defect 11).
 */
export function eventSocketError(error: Error & { code?: string }, socket: WebSocket, request: FastifyRequest): void {
  request.log.warn({ code: error.code, reason: error.message.slice(0, 200) }, 'event WebSocket closed after a client error');
  socket.terminate();
}

const BF_PATTERN = /^[0-9_a-z]{1,4}$/;

function parseBusinessFunctions(list: unknown): string[] | undefined {
  if (!Array.isArray(list) || !list.every((b) => typeof b === 'string' && BF_PATTERN.test(b))) return undefined;
  return list as string[];
}

export async function eventRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  const wsHandler = (socket: WebSocket, request: FastifyRequest<{ Querystring: QueryOf<'subscribeEvents'> }>) => {
    const participantId = request.headers['x-initiatingparticipantid'] as string;
    const { businessFunctionIds } = request.query;
    // Leaves the event hub once, whether the socket closes or is dropped for being too slow.
    let leave = () => {};
    const send = (frame: EventFrame | ControlFrame) => {
      // An injected ws-silence fault (control API) swallows every frame, heartbeats included.
      if (socket.readyState !== socket.OPEN || ctx.faults.silenced(participantId)) return;
      // Backpressure (issue 7, defect 7): a subscriber that stops reading is closed, not buffered for without end.
      if (socket.bufferedAmount > ctx.config.eventMaxBufferedBytes) {
        request.log.info({ participantId, bufferedBytes: socket.bufferedAmount }, 'event subscriber too slow; closed');
        leave();
        socket.close(CLOSE_TOO_SLOW, 'too far behind; reconnect and reconcile by listing your queue');
        // It does not read, so it will not answer the close handshake either.
        setTimeout(() => socket.terminate(), 1000).unref();
        return;
      }
      socket.send(JSON.stringify(frame));
    };
    const subscriber: Subscriber = {
      participantId, businessFunctionIds: new Set(businessFunctionIds?.split(',') ?? []), send, close: (code, reason) => socket.close(code, reason),
    };
    const unsubscribe = ctx.events.subscribe(subscriber);
    let subscribed = true;
    leave = () => {
      if (!subscribed) return;
      subscribed = false;
      unsubscribe();
    };
    const tokenExpiresAt = (request.token?.exp ?? Infinity) * 1000;
    const heartbeat = setInterval(() => {
      if (ctx.clock.now() > tokenExpiresAt + ctx.config.tokenClockSkewSeconds * 1000) {
        socket.close(CLOSE_TOKEN_EXPIRED, 'access token expired; reconnect with a new token');
        return;
      }
      send(ctx.events.control({ eventType: 'HEARTBEAT' }));
    }, ctx.config.eventHeartbeatSeconds * 1000);
    heartbeat.unref();
    socket.on('close', () => {
      clearInterval(heartbeat);
      leave();
    });
    socket.on('message', (data) => {
      let frame: { action?: unknown; businessFunctionIds?: unknown };
      try {
        frame = JSON.parse(data.toString());
      } catch {
        send(ctx.events.control({ eventType: 'ERROR', code: 'IDX_ERR_EVENT_FRAME_INVALID', detail: 'frames must be JSON objects with an "action"' }));
        return;
      }
      if (frame.action === 'ping') {
        send(ctx.events.control({ eventType: 'PONG' }));
      } else if (frame.action === 'subscribe') {
        const ids = parseBusinessFunctions(frame.businessFunctionIds);
        if (!ids) {
          send(ctx.events.control({ eventType: 'ERROR', code: 'IDX_ERR_EVENT_FRAME_INVALID', detail: 'subscribe needs "businessFunctionIds": an array of business function ids such as ["pqd"]' }));
          return;
        }
        subscriber.businessFunctionIds = new Set(ids);
        send(ctx.events.control({ eventType: 'SUBSCRIBED', participantId, businessFunctionIds: ids }));
      } else {
        send(ctx.events.control({ eventType: 'ERROR', code: 'IDX_ERR_EVENT_FRAME_INVALID', detail: `unknown action ${JSON.stringify(frame.action)}; use "subscribe" or "ping"` }));
      }
    });
    send(ctx.events.control({ eventType: 'SUBSCRIBED', participantId, businessFunctionIds: [...subscriber.businessFunctionIds] }));
    // An active ws-close fault (control API) closes new connections too.
    ctx.faults.apply(request.id);
  };

  /** At most IDX_SIM_EVENT_SUBSCRIBERS_PER_PARTICIPANT open sockets per participant, refused before the upgrade. */
  const limitSubscribers = async (request: FastifyRequest) => {
    const participantId = request.headers['x-initiatingparticipantid'];
    // Only for a participant the certificate covers; anything else is refused by authorisation next.
    if (typeof participantId !== 'string' || !request.client?.participantIds.includes(participantId)) return;
    const max = ctx.config.eventSubscribersPerParticipant;
    if (ctx.events.subscriberCount(participantId) >= max) {
      throw new IdxError('IDX_ERR_TOO_MANY_SUBSCRIBERS', `${participantId} already has ${max} open event WebSockets (IDX_SIM_EVENT_SUBSCRIBERS_PER_PARTICIPANT); close one first`,
        { errors: [{ in: 'header', name: 'x-initiatingParticipantId', code: 'SUBSCRIBERS', message: `at most ${max} event sockets` }], headers: { 'retry-after': '60' } });
    }
  };

  contractRoute(app, ctx, auth, 'subscribeEvents', async () => {
    throw new IdxError('IDX_ERR_UPGRADE_REQUIRED', 'this is the event WebSocket: connect with `Upgrade: websocket` (wss://…/events/v1)',
      { errors: [{ in: 'header', name: 'Upgrade', code: 'UPGRADE', message: 'must be websocket' }] });
  }, { wsHandler, preValidation: limitSubscribers } as object);
}

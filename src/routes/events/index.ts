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

const BF_PATTERN = /^[0-9_a-z]{1,4}$/;

function parseBusinessFunctions(list: unknown): string[] | undefined {
  if (!Array.isArray(list) || !list.every((b) => typeof b === 'string' && BF_PATTERN.test(b))) return undefined;
  return list as string[];
}

export async function eventRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  const wsHandler = (socket: WebSocket, request: FastifyRequest<{ Querystring: QueryOf<'subscribeEvents'> }>) => {
    const participantId = request.headers['x-initiatingparticipantid'] as string;
    const { businessFunctionIds } = request.query;
    const send = (frame: EventFrame | ControlFrame) => {
      // An injected ws-silence fault (control API) swallows every frame, heartbeats included.
      if (socket.readyState === socket.OPEN && !ctx.faults.silenced(participantId)) socket.send(JSON.stringify(frame));
    };
    const subscriber: Subscriber = {
      participantId, businessFunctionIds: new Set(businessFunctionIds?.split(',') ?? []), send, close: (code, reason) => socket.close(code, reason),
    };
    const unsubscribe = ctx.events.subscribe(subscriber);
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
      unsubscribe();
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

  contractRoute(app, ctx, auth, 'subscribeEvents', async () => {
    throw new IdxError('IDX_ERR_UPGRADE_REQUIRED', 'this is the event WebSocket: connect with `Upgrade: websocket` (wss://…/events/v1)',
      { errors: [{ in: 'header', name: 'Upgrade', code: 'UPGRADE', message: 'must be websocket' }] });
  }, { wsHandler } as object);
}

// A small client for the RabbitMQ management HTTP API: queues, one queue, a queue's bindings.
import type {RabbitMqEndpoint} from './endpoint.js'
import {type HttpAnswer, httpGet} from './http.js'
import {ManagementHttpError, ManagementUnreachableError} from './map-error.js'

const QUEUE_COLUMNS = [
  'name',
  'type',
  'durable',
  'auto_delete',
  'exclusive',
  'state',
  'messages',
  'messages_ready',
  'messages_unacknowledged',
  'consumers',
  'head_message_timestamp',
  'arguments',
  'policy',
  'effective_policy_definition',
  'message_stats',
  'members',
  'online',
  'leader',
].join(',')

export interface ManagementConsumer {
  consumer_tag: string
  ack_required?: boolean
  prefetch_count?: number
  active?: boolean
  channel_details?: {name?: string; connection_name?: string; peer_host?: string; peer_port?: number}
}

export interface ManagementQueue {
  name: string
  type?: 'classic' | 'quorum' | 'stream' | string
  durable?: boolean
  auto_delete?: boolean
  exclusive?: boolean
  state?: string
  messages?: number
  messages_ready?: number
  messages_unacknowledged?: number
  consumers?: number
  /** Seconds: the `timestamp` property of a classic queue's head message, when it has one (and is paged in). */
  head_message_timestamp?: number | null
  arguments?: Record<string, unknown>
  policy?: string | null
  effective_policy_definition?: Record<string, unknown>
  message_stats?: Record<string, unknown>
  /** Quorum and stream queues: the nodes holding a replica, those of them online, and the leader's node. */
  members?: string[]
  online?: string[]
  leader?: string
}

export interface ManagementBinding {
  source: string
  destination: string
  destination_type: string
  routing_key: string
  arguments?: Record<string, unknown>
}

export interface ManagementNode {
  name: string
  type?: string
  running?: boolean
  mem_alarm?: boolean
  disk_free_alarm?: boolean
  applications?: {name: string; version: string}[]
}

export interface ManagementListener {
  node: string
  protocol: string
  ip_address: string
  port: number
}

export class ManagementClient {
  private readonly authorization: string
  private readonly vhostPath: string
  /** Base URL of the management API that answered last; a cluster's others are tried when it stops answering. */
  private current = 0

  constructor(
    private readonly endpoint: RabbitMqEndpoint,
    private readonly timeoutMs: number,
  ) {
    this.authorization = `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64')}`
    this.vhostPath = encodeURIComponent(endpoint.vhost)
  }

  /**
   * Every queue of the vhost in one request, only the columns mailroom reads. Unpaged: paging makes the broker sort
   * all queues for each page (at 1,000 queues three pages cost several times one answer), and one answer is what
   * rabbitmqadmin and the management UI's own export ask for.
   */
  listQueues(): Promise<ManagementQueue[]> {
    return this.get<ManagementQueue[]>(`/api/queues/${this.vhostPath}?columns=${QUEUE_COLUMNS}`)
  }

  getQueue(name: string): Promise<ManagementQueue> {
    return this.get<ManagementQueue>(
      `/api/queues/${this.vhostPath}/${encodeURIComponent(name)}?columns=${QUEUE_COLUMNS}`,
    )
  }

  /** The cluster's nodes, running or not, with their alarms and the applications (RabbitMQ's version) they run. */
  listNodes(): Promise<ManagementNode[]> {
    return this.get<ManagementNode[]>('/api/nodes?columns=name,type,running,mem_alarm,disk_free_alarm,applications')
  }

  /** Every listener of every running node (protocol, address, port): which node an AMQP port belongs to. */
  async listeners(): Promise<ManagementListener[]> {
    return (await this.get<{listeners?: ManagementListener[]}>('/api/overview?columns=listeners')).listeners ?? []
  }

  /** The consumers attached to a queue (tag, channel, client), as the management API details them. */
  async queueConsumers(name: string): Promise<ManagementConsumer[]> {
    const queue = await this.get<{consumer_details?: ManagementConsumer[]}>(
      `/api/queues/${this.vhostPath}/${encodeURIComponent(name)}?columns=consumer_details`,
    )
    return queue.consumer_details ?? []
  }

  /** Every binding in the vhost (one request; used to find the queues behind dead-letter exchanges). */
  listBindings(): Promise<ManagementBinding[]> {
    return this.get<ManagementBinding[]>(`/api/bindings/${this.vhostPath}`)
  }

  queueBindings(name: string): Promise<ManagementBinding[]> {
    return this.get<ManagementBinding[]>(`/api/queues/${this.vhostPath}/${encodeURIComponent(name)}/bindings`)
  }

  /** Identical requests in flight share one answer (a `check` lists queues for lag, DLQs and replica health at once). */
  private readonly inFlight = new Map<string, Promise<unknown>>()

  private get<T>(path: string): Promise<T> {
    let pending = this.inFlight.get(path) as Promise<T> | undefined
    if (!pending) {
      pending = this.request<T>(path).finally(() => this.inFlight.delete(path))
      this.inFlight.set(path, pending)
    }
    return pending
  }

  private async request<T>(path: string): Promise<T> {
    const bases = this.endpoint.managementUrls
    let answer: HttpAnswer | undefined
    let unreachable: ManagementUnreachableError | undefined
    for (let tried = 0; tried < bases.length && !answer; tried++) {
      const index = (this.current + tried) % bases.length
      try {
        answer = await httpGet(new URL(`${bases[index]}${path}`), {
          headers: {authorization: this.authorization, accept: 'application/json'},
          timeoutMs: this.timeoutMs,
          tls: this.endpoint.tls,
        })
        this.current = index
      } catch (error) {
        unreachable ??= new ManagementUnreachableError(bases.join(','), error)
      }
    }
    if (!answer) throw unreachable ?? new ManagementUnreachableError('', new Error('no management URL'))
    if (answer.status < 200 || answer.status > 299)
      throw new ManagementHttpError(answer.status, path.replace(/\?.*$/, ''))
    return JSON.parse(answer.body) as T
  }
}

// amqplib's channel multiplexer, writing each round of frames to the socket at once. The multiplexer moves every
// frame the channels queued to the socket in a round; each write went out as a system call of its own (one per
// published message, one per ack), and the broker read them one TCP segment at a time. Corked for the round, the
// same bytes in the same order leave in one writev (tested).

interface MuxLike {
  out: {cork(): void; uncork(): void}
  _readIncoming(): void
}

export function corkEachRound(Mux: {prototype: MuxLike}): () => void {
  const readIncoming = Mux.prototype._readIncoming
  Mux.prototype._readIncoming = function (this: MuxLike) {
    this.out.cork()
    try {
      readIncoming.call(this)
    } finally {
      this.out.uncork()
    }
  }
  return readIncoming
}

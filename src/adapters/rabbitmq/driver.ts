// amqplib, with mailroom's patches in place before it loads the modules they replace. Import amqplib's runtime
// values from here; types come from 'amqplib'.
import './patches/install.js'
import amqp from 'amqplib'

export {amqp}

// Every test against the three-node clusters (`brokers.mjs up cluster`), in one file so they run one after another:
// the node-failure trials SIGKILL nodes, which the other parts (all nodes up) must not see. Vitest runs test files
// in parallel, so a part in a file of its own could meet a dead node. Order: the clusters as the harness made them,
// ping across every node, a replay into the cluster from another context, then the parts that kill nodes: the
// cluster health where users look, the node-failure trials, and commands and the dashboard through a node's loss.
import './harness.suite.js'
import './ping.suite.js'
import './replay-into-cluster.suite.js'
import './replication-health.suite.js'
import './node-failure.suite.js'
import './commands-survive.suite.js'
import './dashboard-survive.suite.js'

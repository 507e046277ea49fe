// ScoreNetworks: layers with hand-written backprop, the MLP score network, optimizers, EMA.

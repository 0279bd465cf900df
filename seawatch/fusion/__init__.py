"""Multi-sensor tracker: predict, gate, associate, initiate, delete, update."""

package io.inferbus.verticles.worker;

/**
 * A batch's outputs, one per input, already in the JSON form of a job's result (built on the
 * runner thread, off the event loop), and the tokens each input cost.
 */
record BatchOutput(Object[] outputs, int[] tokens) {}

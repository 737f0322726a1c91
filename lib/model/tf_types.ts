/**
 * The TensorFlow.js types that appear in the public API of lib/, under one name each, so that a
 * reader of the docs sees what a function takes without following tfjs' own type tree.
 * Type-only: importing this module loads no tfjs.
 * @module
 */

import type * as tf from "@tensorflow/tfjs";

/** A TensorFlow.js layers model (`tf.LayersModel`): the network a trial trains and saves. */
export type LayersModel = tf.LayersModel;

/** A TensorFlow.js tensor of any rank and dtype (`tf.Tensor`). */
export type Tensor = tf.Tensor;

/** A rank-0 TensorFlow.js tensor (`tf.Scalar`): one number, such as a batch's mean loss. */
export type Scalar = tf.Scalar;

/** A trainable TensorFlow.js tensor (`tf.Variable`): a weight or bias the optimizer updates. */
export type Variable = tf.Variable;

/** A TensorFlow.js model that is a plain stack of layers (`tf.Sequential`), as the reference CNN is. */
export type Sequential = tf.Sequential;

/** A rank-1 TensorFlow.js tensor (`tf.Tensor1D`), such as a layer's bias. */
export type Tensor1D = tf.Tensor1D;

/** A rank-4 TensorFlow.js tensor (`tf.Tensor4D`): images NHWC, or a convolution's filter HWIO. */
export type Tensor4D = tf.Tensor4D;

/** A tensor's shape as tfjs layers give it (`tf.Shape`): sizes per axis, null for the batch. */
export type Shape = tf.Shape;

/** A layer's configuration as saved in `model.json` (`tf.serialization.ConfigDict`). */
export type ConfigDict = tf.serialization.ConfigDict;

/** The base class of every tfjs layer (`tf.layers.Layer`). */
export type Layer = tf.layers.Layer;

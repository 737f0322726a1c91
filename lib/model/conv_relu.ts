/**
 * Convolution + bias + ReLU kept as one fused kernel while a gradient tape records (tfjs-core
 * splits it into Conv2D, Add and Relu there), with a hand-written gradient: ReLU mask and
 * bias sum in one pass, then Conv2DBackpropInput / Conv2DBackpropFilter. Used on the `blas`
 * backend by {@link FusedReluConv2D}, a Conv2D layer that saves as tfjs' plain "Conv2D".
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Tensor1D, Tensor4D } from "./tf_types.ts";
import { BLAS_RELU_BIAS_GRAD } from "../blas/mod.ts";

/** Geometry of a {@link conv2dBiasRelu} call. */
export interface ConvGeometry {
  /** Step between filter positions, rows then columns. */
  strides: [number, number];
  /** `valid`: no padding; `same`: zero padding so that the output has the input's size at stride 1. */
  pad: "valid" | "same";
}

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object = {}) {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap);
}

/**
 * relu(conv2d(x, filter) + bias), NHWC, as one FusedConv2D kernel with a custom gradient
 * (the active backend must have the BlasReluBiasGrad kernel: `blas`). With `inputGradient`
 * false, x gets no gradient (for a model's input: nothing trains it), saving a convolution.
 */
export function conv2dBiasRelu(
  x: Tensor4D,
  filter: Tensor4D,
  bias: Tensor1D,
  geometry: ConvGeometry,
  inputGradient = true,
): Tensor4D {
  const attrs = { strides: geometry.strides, pad: geometry.pad, dataFormat: "NHWC" };
  const forward = (xs: Tensor4D, w: Tensor4D, b: Tensor1D, save: tf.GradSaveFunc) => {
    const y = runKernel(
      "FusedConv2D",
      { x: xs, filter: w, bias: b },
      { ...attrs, dilations: [1, 1], activation: "relu" },
    ) as Tensor4D;
    save([xs, w, y]);
    const gradFunc = (dy: Tensor4D, saved: tf.Tensor[]) => {
      const [sx, sw, sy] = saved as Tensor4D[];
      const [dz, db] = runKernel(BLAS_RELU_BIAS_GRAD, { dy, y: sy }) as unknown as [
        Tensor4D,
        Tensor1D,
      ];
      const dw = runKernel("Conv2DBackpropFilter", { x: sx, dy: dz }, {
        ...attrs,
        filterShape: sw.shape,
      }) as Tensor4D;
      if (!inputGradient) return [dw, db];
      const dx = runKernel("Conv2DBackpropInput", { dy: dz, filter: sw }, {
        ...attrs,
        inputShape: sx.shape,
      }) as Tensor4D;
      return [dx, dw, db];
    };
    return { value: y, gradFunc };
  };
  if (inputGradient) {
    const f = tf.customGrad(
      ((xs: Tensor4D, w: Tensor4D, b: Tensor1D, save: tf.GradSaveFunc) =>
        forward(xs, w, b, save)) as unknown as CustomGradientFunc,
    );
    return f(x, filter, bias) as Tensor4D;
  }
  const f = tf.customGrad(
    ((w: Tensor4D, b: Tensor1D, save: tf.GradSaveFunc) =>
      forward(x, w, b, save)) as unknown as CustomGradientFunc,
  );
  return f(filter, bias) as Tensor4D;
}

/** The fields of tfjs' Conv2D layer that the fused path reads. */
interface ConvLayerFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { getClassName(): string };
}

// tfjs exports the Conv2D layer only through its factory; take its class from an instance.
const Conv2DBase = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as unknown as {
  new (args: Parameters<typeof tf.layers.conv2d>[0]): tf.layers.Layer;
};

/** Arguments of {@link FusedReluConv2D}: tfjs' conv2d arguments plus `inputGradient`. */
export type FusedReluConv2DArgs = Parameters<typeof tf.layers.conv2d>[0] & {
  /** False for a model's first layer: its input (the images) needs no gradient. */
  inputGradient?: boolean;
};

/**
 * tfjs' Conv2D layer (same weights, config and "Conv2D" class name) that, while a gradient
 * tape records on the `blas` backend, runs {@link conv2dBiasRelu} for ReLU with bias.
 */
export class FusedReluConv2D extends Conv2DBase {
  /** Whether the layer's input gets a gradient. */
  readonly inputGradient: boolean;

  /** Creates the layer (same arguments as tf.layers.conv2d, plus inputGradient). */
  constructor(args: FusedReluConv2DArgs) {
    const { inputGradient, ...convArgs } = args;
    super(convArgs);
    this.inputGradient = inputGradient ?? true;
  }

  #fusable(): boolean {
    const self = this as unknown as ConvLayerFields;
    const dilation = self.dilationRate;
    return tf.getBackend() === "blas" && tf.engine().state.gradientDepth > 0 &&
      self.bias !== null && self.activation.getClassName() === "relu" &&
      self.dataFormat === "channelsLast" &&
      (self.padding === "valid" || self.padding === "same") &&
      (Array.isArray(dilation) ? dilation.every((d) => d === 1) : dilation === 1);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict) {
    if (!this.#fusable()) return super.call(inputs, kwargs);
    const self = this as unknown as ConvLayerFields;
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor4D;
    return conv2dBiasRelu(
      x,
      self.kernel.read() as Tensor4D,
      self.bias!.read() as Tensor1D,
      {
        strides: [self.strides[0], self.strides[1]],
        pad: self.padding as "valid" | "same",
      },
      this.inputGradient,
    );
  }
}

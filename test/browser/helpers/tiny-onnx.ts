// A hand-rolled ONNX ModelProto for `Y = Add(X, X)`, built in the test itself so the infrastructure
// smoke test depends on no model file, no generator and no protobuf library. Only the handful of
// protobuf wire features the model needs are implemented (varints and length-delimited fields).
//
// Field numbers come from onnx/onnx.proto3:
//   ModelProto:        ir_version=1, producer_name=2, graph=7, opset_import=8
//   OperatorSetIdProto: domain=1, version=2
//   GraphProto:        node=1, name=2, input=11, output=12
//   NodeProto:         input=1, output=2, name=3, op_type=4
//   ValueInfoProto:    name=1, type=2
//   TypeProto:         tensor_type=1;  TypeProto.Tensor: elem_type=1, shape=2
//   TensorShapeProto:  dim=1;  Dimension: dim_value=1

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const ONNX_FLOAT = 1;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function tag(field: number, wire: number): number[] {
  return varint((field << 3) | wire);
}

function intField(field: number, value: number): number[] {
  return [...tag(field, WIRE_VARINT), ...varint(value)];
}

function bytesField(field: number, bytes: readonly number[]): number[] {
  return [...tag(field, WIRE_LEN), ...varint(bytes.length), ...bytes];
}

function stringField(field: number, s: string): number[] {
  return bytesField(field, [...new TextEncoder().encode(s)]);
}

function floatTensorValueInfo(name: string, shape: readonly number[]): number[] {
  const dims = shape.flatMap((d) => bytesField(1, intField(1, d)));
  const tensorType = [...intField(1, ONNX_FLOAT), ...bytesField(2, dims)];
  const typeProto = bytesField(1, tensorType);
  return [...stringField(1, name), ...bytesField(2, typeProto)];
}

/** ONNX bytes for `Y = Add(X, X)` with X, Y float32 of the given static shape (ir_version 8, opset 17). */
export function addSelfModel(shape: readonly number[] = [2]): Uint8Array {
  const node = [
    ...stringField(1, 'X'),
    ...stringField(1, 'X'),
    ...stringField(2, 'Y'),
    ...stringField(3, 'add_self'),
    ...stringField(4, 'Add'),
  ];
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, 'tiny_add'),
    ...bytesField(11, floatTensorValueInfo('X', shape)),
    ...bytesField(12, floatTensorValueInfo('Y', shape)),
  ];
  // Empty domain string means the default ai.onnx operator set.
  const opset = [...stringField(1, ''), ...intField(2, 17)];
  const model = [
    ...intField(1, 8),
    ...stringField(2, 'sam2-segmenter-tests'),
    ...bytesField(7, graph),
    ...bytesField(8, opset),
  ];
  return new Uint8Array(model);
}

# An MLServer runtime that runs an ONNX model in ONNX Runtime: the third-party KServe v2 server of
# tests/integration/test_http_interop.sh, hosting the tail `edgeprof export --from K` wrote.
import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceResponse
from mlserver.utils import get_model_uri


class OrtRuntime(MLModel):
    async def load(self):
        self.session = ort.InferenceSession(await get_model_uri(self._settings),
                                            providers=["CPUExecutionProvider"])
        return True

    async def predict(self, request):
        feeds = {i.name: NumpyCodec.decode_input(i) for i in request.inputs}
        values = self.session.run(None, feeds)
        outputs = [NumpyCodec.encode_output(o.name, v) for o, v in zip(self.session.get_outputs(), values)]
        return InferenceResponse(model_name=self.name, outputs=outputs)

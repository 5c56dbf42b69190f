"""Load Rasa's TensorFlow models by one prediction instead of one training step.

Rasa 3.6 builds a model's variables before restoring them by fitting it on one example
(`RasaModel.load`): TensorFlow then traces the whole training step, losses and gradients
included, which was 82 % of loading our model (DIET) in a py-spy profile of `Agent.load`.
Prediction needs only the variables on the prediction path: one eager prediction builds
them, the checkpoint restores them, and the prediction is traced as Rasa does after loading.
`assert_existing_objects_matched` fails the load if any variable that prediction uses is
not in the file; the optimizer's state is not needed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

# Rasa's own `RasaModel.load`, once replaced (a test compares what both load).
rasa_load: Callable[..., Any] | None = None


@functools.cache
def build_models_by_predicting() -> None:
    """Replace `RasaModel.load` (inference loads only; fine-tuning keeps Rasa's way)."""
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.models import RasaModel

    global rasa_load
    original = rasa_load = RasaModel.load.__func__  # type: ignore[attr-defined]

    def load(
        cls: type[RasaModel],
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode or predict_data_example is None:
            return original(  # type: ignore[no-any-return]
                cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                *args, **kwargs,
            )  # fmt: skip
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
            run_eagerly=config.get(RUN_EAGERLY),
        )
        # One eager prediction builds exactly the variables prediction uses (no tracing).
        traced = model._run_eagerly
        model._run_eagerly = True
        model.run_inference(predict_data_example)
        model._run_eagerly = traced
        status = model.load_weights(model_file_name)
        status.assert_existing_objects_matched()
        status.expect_partial()
        # What prediction computes once (DIET's label embeddings) came from the random
        # weights: again from the restored ones, then traced as Rasa does after loading.
        model.prepare_for_predict()
        model.prepared_for_prediction = True
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        return model

    RasaModel.load = classmethod(load)  # type: ignore[method-assign, assignment]

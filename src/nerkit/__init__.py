"""nerkit: fine-tune BERT-family transformers for NER, evaluate them honestly, serve them fast.

>>> import nerkit
>>> data = nerkit.load("wikigold")                                  # bundled, CC BY 4.0
>>> train, test = nerkit.split(data, test_fraction=0.5, seed=100)   # the recipe's split
>>> model = nerkit.fit(train)                                        # doctest: +SKIP
>>> print(nerkit.evaluate(model, test))                              # doctest: +SKIP
>>> model.save("runs/m")                                             # doctest: +SKIP
>>> saved = nerkit.load_model("runs/m")                              # doctest: +SKIP
>>> nerkit.evaluate(saved, nerkit.held_out(saved, data).data)        # doctest: +SKIP
>>> nerkit.predict(model, [["Paris", "is", "lovely"]]).tags          # doctest: +SKIP
[['I-LOC', 'O', 'O']]
>>> nerkit.Tagger(model)("Barack Obama visited Paris.")              # doctest: +SKIP
[{'text': 'Barack Obama', 'label': 'PER', 'start': 0, 'end': 12, 'score': 0.98}, ...]

The package is layered; each layer uses only those below it (checked by import-linter,
``pyproject.toml``): ``cli`` > ``serving``, ``analysis``, ``integrations`` > ``training`` > ``evaluation`` >
``inference`` > ``modeling`` > ``encoding``, ``parallel`` > ``data`` > ``text`` > ``labels`` >
``errors``, ``options``, ``hardware``, ``version``; ``scaling`` (the Ray engine) sits beside ``serving``. This module re-exports the public API.
"""

from .data import Dataset, from_dataframe, kfold, load, split, subsample, to_dataframe, unique_labels, validation_split
from .errors import ConfigError, DataError, ModelError, NerkitError
from .evaluation import Report, evaluate, held_out, score
from .inference import Prediction, Tagger, predict
from .labels import LabelMap, create_label_map
from .modeling import InferenceOptions, NerModel, build, load_model
from .scaling import RayOptions, predict_ray
from .training import TrainConfig, fit
from .version import __version__

__all__ = [
    "Dataset",
    "load",
    "split",
    "validation_split",
    "kfold",
    "subsample",
    "unique_labels",
    "to_dataframe",
    "from_dataframe",
    "LabelMap",
    "create_label_map",
    "NerModel",
    "build",
    "load_model",
    "InferenceOptions",
    "TrainConfig",
    "fit",
    "Prediction",
    "predict",
    "Tagger",
    "predict_ray",
    "RayOptions",
    "Report",
    "score",
    "evaluate",
    "held_out",
    "NerkitError",
    "DataError",
    "ConfigError",
    "ModelError",
    "__version__",
]

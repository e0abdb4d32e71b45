"""nerkit: fine-tune BERT-family transformers for NER, evaluate them honestly, serve them fast.

>>> import nerkit
>>> data = nerkit.load("wikigold")                                  # bundled, CC BY 4.0
>>> train, test = nerkit.split(data, test_fraction=0.5, seed=100)   # the recipe's split
>>> model = nerkit.fit(train)                                        # doctest: +SKIP
>>> print(nerkit.evaluate(model, test))                              # doctest: +SKIP
>>> nerkit.predict(model, [["Paris", "is", "lovely"]]).tags          # doctest: +SKIP
[['I-LOC', 'O', 'O']]
"""

from .data import Dataset, kfold, load, split, subsample, to_dataframe, from_dataframe, unique_labels, validation_split
from .errors import ConfigError, DataError, ModelError, NerkitError
from .labels import LabelMap, create_label_map
from .metrics import Report, evaluate, score
from .model import NerModel, build, load_model
from .predict import Prediction, predict
from .tagger import Tagger
from .train import TrainConfig, fit

__version__ = "0.1.0"

"""The training panel's controls: sliders and menus that build a checked training config."""

from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QSlider, QSpinBox, QWidget,
)

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.training.least_squares import INITS, LS_BOUNDS, LeastSquaresConfig
from nla_explorer.engine.training.targets import DEFAULT_TARGET, PRESETS, parse_target
from nla_explorer.engine.training.config import (
    ACTIVATIONS, NETWORK_LABELS, OPTIMIZER_LABELS, TrainConfig,
)

HIDDEN_VALUES = [*range(1, 33), 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 448, 512]
#: 1e-5 … 10 in round steps (1, 1.5, 2, 3, 5, 7 a decade): the label is the exact value used.
LR_VALUES = [float(f"{m}e{k}") for k in range(-5, 1) for m in (1, 1.5, 2, 3, 5, 7)] + [10.0]
EPOCH_VALUES = [1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10_000]
POINT_VALUES = [2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 300,
                500, 1000]
NOISE_VALUES = [0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0]
WIDEST_VALUE = "0.00015"
INIT_LABELS = {"random": "random (torch.randn)", "zeros": "zeros"}


def error_style(style: ViewStyle) -> str:
    """The style sheet of a label that says what went wrong, in ``style``'s error colour."""
    return f"color: {style.error};"


class ValueSlider(QWidget):
    """A horizontal slider over a list of values, with the current value written beside it."""

    def __init__(self, values: Sequence[float], value: float, text: Callable[[float], str],
                 tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = list(values)
        self._text = text
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(self.values) - 1)
        self.slider.setPageStep(max(1, len(self.values) // 10))
        self.value_label = QLabel()
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for widget in (self, self.slider, self.value_label):
            widget.setToolTip(tooltip)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        self.slider.valueChanged.connect(self._show)
        self.set_value(value)
        self._show()
        self._fit_label()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_label()

    def _fit_label(self) -> None:
        """As wide as the widest value of any slider, so a form's sliders line up at any font."""
        metrics = self.fontMetrics()
        texts = [WIDEST_VALUE, *(self._text(v) for v in self.values)]
        self.value_label.setMinimumWidth(max(metrics.horizontalAdvance(t) for t in texts))

    def value(self) -> float:
        return self.values[self.slider.value()]

    def set_value(self, value: float) -> None:
        """Move to the listed value nearest ``value``."""
        index = min(range(len(self.values)), key=lambda i: abs(self.values[i] - value))
        self.slider.setValue(index)

    def _show(self) -> None:
        self.value_label.setText(self._text(self.value()))


class _Controls(QWidget):
    """Common wiring: ``edited`` on any change (the panel debounces it), ``released`` on release."""

    edited = Signal()
    released = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

    def _row(self, title: str, widget: QWidget, tooltip: str | None = None,
             live: bool = True) -> QWidget:
        label = QLabel(title)
        if tooltip:
            widget.setToolTip(tooltip)
        label.setToolTip(widget.toolTip())
        self.form.addRow(label, widget)
        if not live:
            return widget
        if isinstance(widget, ValueSlider):
            widget.slider.valueChanged.connect(self.edited)
            widget.slider.sliderReleased.connect(self.released)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self.edited)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(self.edited)
        return widget

    def _combo(self, items: dict[str, str], current: str) -> QComboBox:
        combo = QComboBox()
        for key, text in items.items():
            combo.addItem(text, key)
        combo.setCurrentIndex(combo.findData(current))
        return combo

    def _seed_spin(self, value: int, high: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, high)
        spin.setValue(value)
        spin.setKeyboardTracking(False)  # typing 123 is one change, not three
        return spin


class PolyFitControls(_Controls):
    """Network, width, learning rate, epochs, points, activation, optimiser, target, noise, seed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        d = TrainConfig()
        self.network_combo = self._row("Network", self._combo(NETWORK_LABELS, d.network),
                                       "course: the seed's net, all m values of x are ONE sample "
                                       "(m → p → m); per-point: the usual regression 1 → p → 1 "
                                       "applied to each x, which can generalise between points")
        self.hidden_slider = self._row("Hidden width p", ValueSlider(
            HIDDEN_VALUES, d.hidden, lambda v: f"{v:d}",
            "Neurons in the hidden layer (1 … 512); the seed uses p = 10")).slider
        self.lr_slider = self._row("Learning rate", ValueSlider(
            LR_VALUES, d.lr, lambda v: f"{v:.3g}",
            "Step size, log scale 1e-5 … 10; the seed uses Adam with 0.01. Too large and the "
            "loss blows up (the run stops and says why)")).slider
        self.epochs_slider = self._row("Epochs", ValueSlider(
            EPOCH_VALUES, d.epochs, lambda v: f"{v:,d}",
            "Training steps on the whole data (1 … 10,000); the seed trains 100")).slider
        self.points_slider = self._row("Points m", ValueSlider(
            POINT_VALUES, d.points, lambda v: f"{v:d}",
            "Number of training points x = linspace(-1, 1, m) (2 … 1000); the seed uses 20. "
            "For the course network m is also its input and output size")).slider
        self.activation_combo = self._row("Activation", self._combo(
            {a: a for a in ACTIVATIONS}, d.activation), "The hidden layer's non-linearity σ")
        self.optimizer_combo = self._row("Optimizer", self._combo(OPTIMIZER_LABELS, d.optimizer),
                                         "SGD, SGD with momentum 0.9, or Adam (the seed's)")
        self.target_combo = self._row("Target", self._combo(
            {**{v: k for k, v in PRESETS.items()}, "": "typed…"}, DEFAULT_TARGET),
            "The function to fit; pick one, or choose 'typed…' and type a formula below",
            live=False)
        self.target_edit = QLineEdit(DEFAULT_TARGET)
        self.target_edit.setToolTip(
            "A formula in x, applied on Enter: numbers, x, pi, e, + - * / **, and sin, cos, exp, "
            "log, tanh, abs, sqrt, sigmoid, relu, step. Nothing else is run")
        self.target_edit.setPlaceholderText("a formula in x, e.g. x**3 - x")
        self.form.addRow("", self.target_edit)
        self.target_message = QLabel(wordWrap=True)
        self.target_message.setStyleSheet(error_style(ViewStyle.light()))
        self.target_message.setToolTip("Why the typed target was not used")
        self.target_message.hide()
        self.form.addRow("", self.target_message)
        self.noise_slider = self._row("Noise", ValueSlider(
            NOISE_VALUES, d.noise, lambda v: f"{v:g}",
            "Standard deviation of Gaussian noise added to the training targets")).slider
        self.seed_spin = self._row("Seed", self._seed_spin(d.seed, 2**31 - 1),
                                   "torch.manual_seed: the initial weights (and the noise)")
        self.target = DEFAULT_TARGET
        self.target_combo.activated.connect(self._preset_chosen)
        self.target_edit.returnPressed.connect(self.apply_target)
        self.target_edit.editingFinished.connect(self.apply_target)
        self._sliders = {s.slider: s for s in self.findChildren(ValueSlider)}

    def value_of(self, slider: QSlider) -> float:
        return self._sliders[slider].value()

    def slider_widget(self, slider: QSlider) -> ValueSlider:
        return self._sliders[slider]

    def config(self) -> TrainConfig:
        """The config the controls show (raises :class:`ConfigError` naming a bad field)."""
        return TrainConfig(
            network=self.network_combo.currentData(), hidden=int(self.value_of(self.hidden_slider)),
            lr=self.value_of(self.lr_slider), epochs=int(self.value_of(self.epochs_slider)),
            points=int(self.value_of(self.points_slider)),
            activation=self.activation_combo.currentData(),
            optimizer=self.optimizer_combo.currentData(), target=self.target,
            noise=self.value_of(self.noise_slider), seed=self.seed_spin.value())

    def apply_target(self) -> bool:
        """Use the typed formula if it is valid; else say why and keep the last good target."""
        text = self.target_edit.text().strip()
        if text == self.target:
            self.target_message.hide()
            return True
        try:
            parse_target(text)
        except EngineError as exc:
            self.target_message.setText(f"{exc} — still fitting {self.target}")
            self.target_message.show()
            return False
        self.target = text
        self.target_message.hide()
        index = self.target_combo.findData(text)
        self.target_combo.setCurrentIndex(index if index >= 0 else self.target_combo.findData(""))
        self.edited.emit()
        return True

    def set_view_style(self, style: ViewStyle) -> None:
        self.target_message.setStyleSheet(error_style(style))

    def _preset_chosen(self, index: int) -> None:
        formula = self.target_combo.itemData(index)
        if formula:
            self.target_edit.setText(formula)
            self.apply_target()
        else:
            self.target_edit.setFocus()
            self.target_edit.selectAll()


class LeastSquaresControls(_Controls):
    """Size of A (p × n), SGD's learning rate, epochs, x₀ (random or zero) and the seed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        d = LeastSquaresConfig()
        high = int(LS_BOUNDS["rows"][1])
        self.rows_spin = self._row("Rows p of A", self._size_spin(d.rows, high),
                                   "A is p × n; the seed's exercise uses 3 × 4 (a wide A: many "
                                   "solutions, A⁺y is the shortest)")
        self.cols_spin = self._row("Columns n of A", self._size_spin(d.cols, high),
                                   "Unknowns in x; n ≤ p with full rank gives one least-squares "
                                   "solution, A⁺y")
        self.lr_slider = self._row("Learning rate", ValueSlider(
            LR_VALUES, d.lr, lambda v: f"{v:.3g}",
            "SGD's step; it converges only below 1/σ_max(A)² (shown under the plots)")).slider
        self.epochs_slider = self._row("Epochs", ValueSlider(
            EPOCH_VALUES, d.epochs, lambda v: f"{v:,d}", "SGD steps (1 … 10,000)")).slider
        self.init_combo = self._row("Start x₀", self._combo(
            {key: INIT_LABELS[key] for key in INITS}, d.init),
            "Gradient descent ends at the solution nearest x₀: from zeros that is A⁺y")
        self.seed_spin = self._row("Seed", self._seed_spin(d.seed, 2**31 - 1),
                                   "torch.manual_seed: A, y and x₀")
        self._sliders = {s.slider: s for s in self.findChildren(ValueSlider)}

    def _size_spin(self, value: int, high: int) -> QSpinBox:
        spin = self._seed_spin(value, high)
        spin.setMinimum(1)
        return spin

    def config(self) -> LeastSquaresConfig:
        return LeastSquaresConfig(
            rows=self.rows_spin.value(), cols=self.cols_spin.value(),
            lr=self._sliders[self.lr_slider].value(),
            epochs=int(self._sliders[self.epochs_slider].value()),
            init=self.init_combo.currentData(), seed=self.seed_spin.value())

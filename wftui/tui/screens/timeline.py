"""The timeline screen (``t``): the current run as time bars, live while it runs; Esc closes."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from wftui.tui.text import Clock
from wftui.tui.timeline import Paint, Timeline

REPAINT_SECONDS = 0.25


class TimelineView(Widget):
    """Paints a ``Timeline`` at the widget's width; styles come from the theme."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"timeline--{paint.value}" for paint in Paint}
    DEFAULT_CSS = """
    TimelineView {
        height: 1fr;
        padding: 0 1;
        .timeline--label { color: $foreground; }
        .timeline--tick { color: $foreground-muted; }
        .timeline--axis { color: $foreground-muted; }
        .timeline--done { color: $success; }
        .timeline--running { color: $warning; }
        .timeline--failed { color: $error; text-style: bold; }
        .timeline--replayed { color: $accent; }
        .timeline--waiting { color: $warning; text-style: bold; }
    }
    """

    def __init__(self, timeline: Timeline, clock: Clock) -> None:
        super().__init__()
        self.timeline = timeline
        self._clock = clock
        self._painted = -1

    def on_mount(self) -> None:
        self.set_interval(REPAINT_SECONDS, self._repaint_if_needed)

    def _repaint_if_needed(self) -> None:
        """New events, or a live run whose open bars grow with the clock."""
        if self.timeline.live or self.timeline.version != self._painted:
            self.refresh()

    def render(self) -> Text:
        self._painted = self.timeline.version
        styles = {
            paint: self.get_component_rich_style(f"timeline--{paint.value}") for paint in Paint
        }
        text = Text(no_wrap=True, overflow="crop")
        for number, line in enumerate(
            self.timeline.render(self.content_size.width, self._clock.now())
        ):
            if number:
                text.append("\n")
            for segment, paint in line:
                text.append(segment, styles[paint])
        return text


class TimelineScreen(Screen[None]):
    """Full screen, like the value viewer, so 80 columns are all the bars'."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,t", "close", "Close", id="wftui.timeline.close"),
    ]
    DEFAULT_CSS = """
    TimelineScreen {
        #timeline-title { height: 1; background: $panel; color: $foreground; text-style: bold; padding: 0 1; }
    }
    """

    def __init__(self, timeline: Timeline, clock: Clock, title: str) -> None:
        super().__init__()
        self._timeline = timeline
        self._clock = clock
        self._title = title

    def compose(self) -> ComposeResult:
        yield Static(self._title, id="timeline-title", markup=False)
        yield TimelineView(self._timeline, self._clock)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss()

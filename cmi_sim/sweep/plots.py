"""A sweep's pictures (matplotlib, Agg): the objective over two parameters, and its spread per setting."""

from __future__ import annotations

from pathlib import Path

from cmi_sim.sweep.space import describe

HEATMAP = "heatmap.png"
DISTRIBUTION = "distribution.png"
MAX_HEATMAP_VALUES = 30  # beyond this many distinct values per axis (a continuous search) a scatter
MAX_DISTRIBUTION_SETTINGS = 20


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(directory: Path, frame, ranking, param_names: list[str], objective: str) -> list[Path]:
    """heatmap.png (exactly two parameters) and distribution.png; the paths written."""
    ok = frame[frame["status"] == "ok"]
    written = []
    if len(param_names) == 2 and len(ok):
        written.append(_heatmap(directory / HEATMAP, ok, param_names, objective))
    if len(ok):
        written.append(_distribution(directory / DISTRIBUTION, ok, ranking, param_names, objective))
    return written


def _heatmap(path: Path, ok, names: list[str], objective: str) -> Path:
    plt = _pyplot()
    x, y = names
    means = ok.groupby([y, x])[objective].mean().unstack(x)
    figure, axes = plt.subplots(figsize=(7.5, 5.5), dpi=100)
    if means.shape[0] <= MAX_HEATMAP_VALUES and means.shape[1] <= MAX_HEATMAP_VALUES:
        image = axes.imshow(means.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="RdYlGn")
        axes.set_xticks(range(means.shape[1]), [str(v) for v in means.columns])
        axes.set_yticks(range(means.shape[0]), [str(v) for v in means.index])
        if means.size <= 100:
            for (row, column), value in _cells(means):
                if value == value:
                    axes.text(column, row, f"{value:,.0f}" if abs(value) >= 10 else f"{value:.3g}",
                              ha="center", va="center", fontsize=8)
    else:
        points = ok.groupby([x, y])[objective].mean().reset_index()
        image = axes.scatter(points[x], points[y], c=points[objective], cmap="RdYlGn")
    figure.colorbar(image, ax=axes, label=f"mean {objective} over seeds")
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    axes.set_title(f"mean {objective} by {x} and {y}")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def _cells(table):
    values = table.to_numpy(dtype=float)
    for row in range(values.shape[0]):
        for column in range(values.shape[1]):
            yield (row, column), values[row, column]


def _distribution(path: Path, ok, ranking, names: list[str], objective: str) -> Path:
    """Each setting's runs as a box with its points, in rank order (the best on the left)."""
    plt = _pyplot()
    settings = ranking.head(MAX_DISTRIBUTION_SETTINGS)
    groups, labels = [], []
    for _, row in settings.iterrows():
        chosen = ok
        for name in names:
            chosen = chosen[chosen[name] == row[name]]
        if len(chosen):
            groups.append(chosen[objective].astype(float).tolist())
            labels.append(describe({name: row[name] for name in names}))
    figure, axes = plt.subplots(figsize=(max(6.0, 0.6 * len(groups) + 2), 4.5), dpi=100)
    axes.boxplot(groups, showmeans=True)
    for position, values in enumerate(groups, start=1):
        axes.scatter([position] * len(values), values, s=12, color="black", alpha=0.6, zorder=3)
    axes.set_xticks(range(1, len(labels) + 1), labels, rotation=45 if len(labels) > 4 else 0, ha="right"
                    if len(labels) > 4 else "center", fontsize=8)
    axes.axhline(0, color="grey", linewidth=0.6)
    axes.set_ylabel(objective)
    axes.set_title(f"{objective} per run, settings in rank order")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path

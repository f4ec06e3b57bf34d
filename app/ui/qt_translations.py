"""Qt's own texts in the interface language: OK/Cancel, Close, the file dialog, wizards.

Our strings are pairs (:mod:`app.ui.i18n`); Qt's own (a QMessageBox's buttons, a
QWizard's 上一步/下一步, the whole non-native file dialog, the context menu of a text
field) come from Qt's catalogs, ``qt_<locale>.qm`` (which pulls in ``qtbase_…``),
shipped with Qt in ``QLibraryInfo``'s ``TranslationsPath``. For Chinese they are loaded
with :class:`QTranslator` and the default locale is set to 中文（中国）; English needs
nothing (Qt's texts are English).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.ui.i18n import Language

_LOCALES: dict[str, tuple[QLocale.Language, QLocale.Country, str]] = {
    "zh": (QLocale.Language.Chinese, QLocale.Country.China, "zh_CN"),
}
CATALOGS = ("qt", "qtbase")


def install_qt_translations(app: QCoreApplication, language: Language) -> list[str]:
    """Load Qt's catalogs for ``language`` into ``app``; returns the files loaded.

    The translators are parented to ``app`` (they live as long as it does).
    """
    spec = _LOCALES.get(language)
    if spec is None:
        return []
    lang, country, suffix = spec
    QLocale.setDefault(QLocale(lang, country))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded: list[str] = []
    for catalog in CATALOGS:
        translator = QTranslator(app)
        name = f"{catalog}_{suffix}"
        if translator.load(name, folder) and app.installTranslator(translator):
            loaded.append(f"{name}.qm")
        else:
            translator.deleteLater()
    return loaded

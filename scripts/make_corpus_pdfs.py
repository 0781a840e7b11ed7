"""Write the sample PDFs of corpus/ (multi-page, with headings, page footers and, for one, no title
in the metadata, so that the title must come from the largest text on page 1).

Run from the repository root after changing the text below:  python scripts/make_corpus_pdfs.py
Needs fpdf2 (in the ``test`` extra). The output is deterministic, so unchanged text gives
byte-identical files.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

RETENTION = {
    "file": "rural-retention-nurses.pdf",
    "metadata_title": "Keeping Nurses in Rural Posts: A Retention Package for District Health Managers",
    "title": "Keeping Nurses in Rural Posts",
    "subtitle": "A Retention Package for District Health Managers",
    "byline": "Health Workforce Observatory, 2022",
    "sections": [
        ("Introduction", [
            "Rural districts lose nurses faster than they can replace them. In the districts reviewed for this "
            "package, one nurse in four left a rural post within two years of deployment, and vacancy rates in "
            "remote health centres were three times those of urban facilities. Each departure costs the health "
            "system the investment in recruitment and orientation, and costs the community continuity of care.",
            "This package brings together the retention measures that district health managers can apply or "
            "request, grouped under the four families of interventions recognised in international guidance: "
            "education, regulation, financial incentives, and personal and professional support.",
        ]),
        ("Why Nurses Leave Rural Posts", [
            "Exit interviews with nurses who resigned or requested transfer point to a small number of causes. "
            "The most frequent are poor housing, the absence of schools for their children, late payment of "
            "allowances and professional isolation. Many nurses also report that they were posted to a rural "
            "facility without being asked and without any indication of how long they would stay.",
            "Nurses who grew up in rural areas and those who trained in district schools are markedly more likely "
            "to remain. Retention is therefore shaped long before deployment, at the moment students are selected.",
        ]),
        ("Financial Incentives", [
            "A hardship allowance for remote posts is the most requested incentive. It works only when it is "
            "large enough to matter, paid on time every month, and guaranteed for several years. Allowances that "
            "arrive months late are worse than none, because they damage trust in the employer.",
            "Other financial incentives include housing provided by the district, a transport allowance for "
            "visits to the district town, and loan forgiveness for nurses who serve a minimum period in a "
            "designated rural facility.",
        ]),
        ("Education and Recruitment", [
            "Selecting nursing students from rural communities, training them in district schools and giving "
            "them clinical placements in rural health centres are the education measures with the strongest "
            "evidence. Bonded scholarships, in which the district pays tuition in exchange for a period of "
            "service, can secure staff for hard-to-fill posts when the bond is enforced fairly.",
        ]),
        ("Professional and Personal Support", [
            "Regular supportive supervision, access to continuing education and a clear career path reduce "
            "professional isolation. Telephone consultation with a district doctor, peer networks of rural "
            "nurses and rotation to the district hospital for skills updates have all been welcomed by staff.",
            "Personal support matters as much: safe housing, electricity and water, and help with schooling for "
            "children. Recognition, such as an annual award for rural service, costs little and is valued.",
        ]),
        ("Monitoring Retention", [
            "District health management teams should track, every quarter, the vacancy rate in rural facilities, "
            "the share of nurses who remain in post after one and three years, and the reasons recorded at exit "
            "interviews. These figures show which measures work and where the package must be adjusted.",
        ]),
    ],
}

WISN = {
    "file": "planification-effectifs-wisn.pdf",
    "metadata_title": "",
    "title": "Planifier les effectifs avec la méthode WISN",
    "subtitle": "Guide pratique pour les équipes cadres de district",
    "byline": "Direction des ressources humaines, Ministère de la Santé, 2021",
    "sections": [
        ("Présentation de la méthode", [
            "La méthode WISN (indicateurs de charge de travail pour l'estimation des besoins en personnel) a été "
            "mise au point par l'Organisation mondiale de la Santé. Elle calcule le nombre de personnels de santé "
            "dont un établissement a besoin à partir de sa charge de travail réelle, et non à partir de normes "
            "fixes par type d'établissement.",
            "Le résultat est exprimé par deux indicateurs : l'écart entre le personnel disponible et le personnel "
            "requis, et le ratio WISN, qui mesure la pression de travail subie par chaque catégorie.",
        ]),
        ("Les étapes du calcul", [
            "L'équipe détermine d'abord le temps de travail disponible d'un agent pendant une année, en retirant "
            "les congés, les jours fériés, les absences pour maladie et les formations. Elle définit ensuite les "
            "activités principales de chaque catégorie et fixe pour chacune un temps standard.",
            "Les statistiques annuelles de services, comme le nombre de consultations prénatales ou "
            "d'accouchements, sont converties en charge de travail. Les activités d'appui et les activités "
            "supplémentaires sont ajoutées sous forme de coefficients.",
        ]),
        ("Interpréter les résultats", [
            "Un ratio WISN inférieur à un signale une pénurie : le personnel en poste ne suffit pas pour la charge "
            "de travail. Un ratio supérieur à un indique un excédent relatif. La comparaison entre établissements "
            "permet de redéployer le personnel des structures excédentaires vers les structures en pénurie.",
        ]),
        ("Utiliser WISN pour la planification", [
            "Les résultats alimentent le plan de développement des ressources humaines du district : recrutements "
            "prioritaires, affectations, besoins de formation. Ils servent aussi à plaider auprès du ministère "
            "des Finances pour la création de postes, avec des chiffres fondés sur les services rendus.",
        ]),
    ],
}


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Page {self.page_no()}", align="C")


def write(spec: dict) -> Path:
    pdf = _Pdf(format="A4")
    pdf.set_creation_date(datetime(2022, 1, 1, tzinfo=timezone.utc))
    pdf.set_producer("hrhsearch sample corpus")
    if spec["metadata_title"]:
        pdf.set_title(spec["metadata_title"])
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.multi_cell(0, 12, spec["title"])
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 14)
    pdf.multi_cell(0, 8, spec["subtitle"])
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 11)
    pdf.multi_cell(0, 6, spec["byline"])
    for number, (heading, paragraphs) in enumerate(spec["sections"], start=1):
        if number % 2 == 1:
            pdf.add_page()  # two sections a page, so that every document spans several pages
        pdf.ln(6)
        pdf.set_font("Helvetica", "B", 15)
        pdf.multi_cell(0, 8, f"{number}. {heading}")
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5.5, paragraph)
            pdf.ln(3)
    out = CORPUS / spec["file"]
    pdf.output(str(out))
    return out


if __name__ == "__main__":
    for spec in (RETENTION, WISN):
        print(write(spec))

"""Spec case inputs shared by the pathway and KPI spec tests.

Each referral is one boundary case; its id says which.  Dates are in April-July 2023.
"""

from __future__ import annotations

PERSON = """
person_id | birth_date | gender | ethnic_category | imd_decile | language
P1        | 1990-05-10 | 2      | A               | 1          | en
P2        | 1950-05-10 | 1      | H               | 10         | -
P3        | 2006-05-11 | 2      | 99              | -          | -
"""

# referral_date 2023-05-10 tests the birthday boundary: P2 turns 73 that day, P3 is 16 (17 the next day)
REFERRAL = """
pathway_id    | person_id | provider_id | referral_date | discharge_date | end_code | referral_source | team_id
REC           | P1        | RCW         | 2023-04-03    | 2023-07-03     | 46       | B1              | TA
THRESH        | P1        | RCW         | 2023-04-03    | 2023-07-03     | 46       | B1              | -
NOTCASE       | P1        | RCW         | 2023-04-10    | 2023-07-03     | 46       | B1              | -
MIXED         | P2        | RCW         | 2023-05-10    | 2023-07-03     | 47       | A1              | -
UNPAIRED      | P2        | RCW         | 2023-04-03    | 2023-07-03     | 46       | A1              | -
SPIN_PAIRED   | P3        | RCW         | 2023-05-10    | 2023-07-03     | 46       | B1              | -
IESR_UNPAIRED | P3        | RCW         | 2023-04-03    | 2023-07-03     | 46       | B1              | -
SINGLE        | P1        | RCW         | 2023-04-20    | 2023-06-01     | 47       | B1              | -
ASSESS_ONLY   | P1        | RCW         | 2023-04-21    | 2023-05-01     | 12       | B1              | -
NOT_SEEN      | P1        | RCW         | 2023-04-22    | 2023-05-01     | 50       | B1              | -
OPEN          | P1        | RCW         | 2023-04-23    | -              | -        | B1              | -
MI_FLOAT      | P2        | RCW         | 2023-04-03    | 2023-07-03     | 46       | A1              | -
"""

# Contacts.  REC: assessment, 3 treatments (02 attended, 02 late-but-seen, 05 unplanned DNA),
# one DNA, one cancellation, a review without treatment (04) and a follow-up (06) after
# discharge.  Therapist T1 has 2 treatment contacts, T2 one.
CONTACT = """
contact_id | pathway_id    | contact_date | contact_time | app_type | attend_code | planned | clinician_id
C01        | REC           | 2023-04-10   | 09:00        | 01       | 5           | Y       | A1
C02        | REC           | 2023-04-20   | 09:00        | 02       | 5           | Y       | T2
C03        | REC           | 2023-04-27   | 09:00        | 02       | 3           | Y       | T1
C04        | REC           | 2023-05-04   | 09:00        | 02       | 6           | Y       | T1
C05        | REC           | 2023-05-11   | 09:00        | 04       | 5           | Y       | T1
C06        | REC           | 2023-05-18   | 09:00        | 05       | 3           | N       | T1
C07        | REC           | 2023-05-25   | 09:00        | 02       | 2           | Y       | T1
C08        | REC           | 2023-09-01   | 09:00        | 06       | 5           | Y       | T1
C10        | THRESH        | 2023-04-05   | 10:00        | 03       | 5           | Y       | T3
C11        | THRESH        | 2023-05-05   | 10:00        | 02       | 5           | Y       | T4
C12        | THRESH        | 2023-06-05   | 10:00        | 02       | 5           | Y       | T4
C13        | THRESH        | 2023-06-06   | 10:00        | 02       | 5           | Y       | T3
C20        | NOTCASE       | 2023-04-12   | -            | 02       | 5           | Y       | T1
C21        | NOTCASE       | 2023-04-12   | 08:00        | 02       | 5           | Y       | T2
C30        | MIXED         | 2023-05-12   | 10:00        | 02       | 5           | Y       | T1
C31        | MIXED         | 2023-09-01   | 10:00        | 02       | 5           | Y       | T1
C40        | UNPAIRED      | 2023-04-05   | 10:00        | 02       | 5           | Y       | T1
C41        | UNPAIRED      | 2023-04-12   | 10:00        | 02       | 5           | Y       | T1
C42        | UNPAIRED      | 2023-04-19   | 10:00        | 02       | 3           | Y       | T1
C50        | SPIN_PAIRED   | 2023-05-11   | 10:00        | 02       | 5           | Y       | T1
C51        | SPIN_PAIRED   | 2023-06-11   | 10:00        | 02       | 5           | Y       | T1
C60        | IESR_UNPAIRED | 2023-04-05   | 10:00        | 02       | 5           | Y       | T1
C61        | IESR_UNPAIRED | 2023-04-12   | 10:00        | 02       | 5           | Y       | T1
C70        | SINGLE        | 2023-04-25   | 10:00        | 03       | 5           | Y       | T2
C71        | SINGLE        | 2023-05-02   | 10:00        | 02       | 3           | Y       | T2
C80        | ASSESS_ONLY   | 2023-04-25   | 10:00        | 01       | 5           | Y       | A2
C81        | ASSESS_ONLY   | 2023-04-26   | 10:00        | 02       | 4           | Y       | T1
C90        | OPEN          | 2023-04-25   | 10:00        | 02       | 5           | Y       | T1
C91        | OPEN          | 2023-05-25   | 10:00        | 02       | 5           | Y       | T1
C95        | MI_FLOAT      | 2023-04-05   | 10:00        | 02       | 5           | Y       | T1
C96        | MI_FLOAT      | 2023-04-12   | 10:00        | 02       | 5           | Y       | T1
"""

# Presenting complaints: THRESH has a later secondary (F40.0) and an earlier primary (F32) ->
# depression; SPIN_PAIRED has two primaries, the later one (f40.1) wins; IESR_UNPAIRED has F43
# (other_anxiety) and F43.1 (ptsd) on the same date, higher source row wins; MI_FLOAT is
# agoraphobia; REC has a primary with an empty code and a secondary F33 -> depression.
COMPLAINT = """
pathway_id    | complaint_code | significance | complaint_date
THRESH        | F40.0          | S            | 2023-05-01
THRESH        | F32            | P            | 2023-04-05
SPIN_PAIRED   | F41.1          | P            | 2023-05-01
SPIN_PAIRED   | f40.1          | P            | 2023-05-11
IESR_UNPAIRED | F43            | P            | 2023-04-05
IESR_UNPAIRED | F43.1          | P            | 2023-04-05
MI_FLOAT      | F40.0          | P            | -
REC           | -              | P            | 2023-04-10
REC           | F33.1          | S            | 2023-04-10
NOTCASE       | 723916001      | P            | 2023-04-12
MIXED         | Z99            | P            | 2023-05-12
"""

# Scores.  contact_id empty = IDS606 (referral level, always eligible before discharge).
SCORE = """
pathway_id    | contact_id | tool  | score | score_date | score_time
REC           | C01        | PHQ9  | 15    | 2023-04-10 | 09:00
REC           | C01        | GAD7  | 12    | 2023-04-10 | 09:00
REC           | C01        | WSAS  | 20    | 2023-04-10 | 09:00
REC           | C03        | PHQ9  | 1     | 2023-04-27 | 09:00
REC           | C06        | PHQ9  | 9     | 2023-05-18 | 09:00
REC           | C04        | PHQ9  | 5     | 2023-05-04 | 09:00
REC           | C04        | GAD7  | 4     | 2023-05-04 | 09:00
REC           | C04        | WSAS  | 10    | 2023-05-04 | 09:00
REC           | C08        | PHQ9  | 20    | 2023-09-01 | 09:00
REC           | -          | GAD7  | 3     | 2023-07-04 | -
THRESH        | C10        | PHQ9  | 10    | 2023-04-05 | 10:00
THRESH        | C10        | GAD7  | 7     | 2023-04-05 | 10:00
THRESH        | C13        | PHQ9  | 9     | 2023-06-06 | 10:00
THRESH        | C13        | GAD7  | 7     | 2023-06-06 | 10:00
NOTCASE       | -          | PHQ9  | 3     | 2023-04-12 | -
NOTCASE       | C21        | PHQ9  | 9     | 2023-04-12 | 08:00
NOTCASE       | C21        | GAD7  | 7     | 2023-04-12 | 08:00
NOTCASE       | C20        | GAD7  | 7     | 2023-04-12 | -
MIXED         | C30        | PHQ9  | 20    | 2023-05-12 | 10:00
MIXED         | C30        | GAD7  | 10    | 2023-05-12 | 10:00
MIXED         | -          | PHQ9  | 14    | 2023-07-03 | -
MIXED         | -          | GAD7  | 14    | 2023-07-03 | 23:00
UNPAIRED      | C40        | PHQ9  | 18    | 2023-04-05 | 10:00
UNPAIRED      | C40        | GAD7  | 15    | 2023-04-05 | 10:00
UNPAIRED      | C41        | GAD7  | 5     | 2023-04-12 | 10:00
UNPAIRED      | C42        | PHQ9  | 4     | 2023-04-19 | 10:00
SPIN_PAIRED   | C50        | PHQ9  | 12    | 2023-05-11 | 10:00
SPIN_PAIRED   | C50        | GAD7  | 10    | 2023-05-11 | 10:00
SPIN_PAIRED   | C50        | SPIN  | 40    | 2023-05-11 | 10:00
SPIN_PAIRED   | C51        | PHQ9  | 8     | 2023-06-11 | 10:00
SPIN_PAIRED   | C51        | GAD7  | 10    | 2023-06-11 | 10:00
SPIN_PAIRED   | C51        | SPIN  | 18    | 2023-06-11 | 10:00
IESR_UNPAIRED | C60        | PHQ9  | 14    | 2023-04-05 | 10:00
IESR_UNPAIRED | C60        | GAD7  | 15    | 2023-04-05 | 10:00
IESR_UNPAIRED | C60        | IESR  | 50    | 2023-04-05 | 10:00
IESR_UNPAIRED | C61        | PHQ9  | 7     | 2023-04-12 | 10:00
IESR_UNPAIRED | C61        | GAD7  | 6     | 2023-04-12 | 10:00
SINGLE        | C70        | PHQ9  | 16    | 2023-04-25 | 10:00
SINGLE        | C70        | GAD7  | 16    | 2023-04-25 | 10:00
ASSESS_ONLY   | C80        | PHQ9  | 7     | 2023-04-25 | 10:00
ASSESS_ONLY   | C80        | GAD7  | 5     | 2023-04-25 | 10:00
MI_FLOAT      | C95        | PHQ9  | 12    | 2023-04-05 | 10:00
MI_FLOAT      | C95        | MI    | 3.03  | 2023-04-05 | 10:00
MI_FLOAT      | C96        | PHQ9  | 7     | 2023-04-12 | 10:00
MI_FLOAT      | C96        | MI    | 2.3   | 2023-04-12 | 10:00
"""

STAFF = """
clinician_id | team_id | role
T1           | TB      | PWP
T2           | TC      | HIT
T3           | TD      | HIT
T4           | TE      | HIT
A2           | TF      | PWP
"""


def pathway_case_data(engine):
    """The pathway spec case (every table above) as clean data on ``engine``."""
    from spec.tables import build

    return build(
        engine,
        person=PERSON,
        referral=REFERRAL,
        contact=CONTACT,
        complaint=COMPLAINT,
        score=SCORE,
        staff=STAFF,
    )

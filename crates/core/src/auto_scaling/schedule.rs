//! The schedules of Application Auto Scaling's scheduled actions:
//! `at(yyyy-mm-ddThh:mm:ss)`, once; `rate(<n> minute[s]|hour[s]|day[s])`,
//! every interval from the action's start; `cron(<minutes> <hours>
//! <day-of-month> <month> <day-of-week> <year>)`, at each matching minute.
//! `at` and `cron` read in the action's time zone (an IANA name, UTC by
//! default). The cron fields are those of AWS's cron expressions: `*`,
//! `,`, `-` and `/` everywhere, `?` in one of the two day fields, `L` and
//! `W` in the day of the month, `L` and `#` in the day of the week
//! (1-7 or SUN-SAT), months 1-12 or JAN-DEC, years 1970-2199.

use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The most minutes one check walks for cron matches: a check covers one
/// period (a minute by default), so this bounds only a long pause.
const MAX_MINUTES_WALKED: i64 = 24 * 60;

#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    At(DateTime),
    Rate { seconds: i64 },
    Cron(Box<Cron>),
}

impl Schedule {
    /// Parses a Schedule member; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let inner = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
        };
        if let Some(at) = inner("at(") {
            return at
                .parse::<DateTime>()
                .ok()
                .filter(|_| at.len() == "yyyy-mm-ddThh:mm:ss".len())
                .map(Schedule::At)
                .ok_or_else(|| {
                    format!("the time of {text} is not of the form yyyy-mm-ddThh:mm:ss")
                });
        }
        if let Some(rate) = inner("rate(") {
            let (value, unit) = rate
                .split_once(' ')
                .ok_or_else(|| format!("{text} is not of the form rate(value unit)"))?;
            let value: i64 = value
                .parse()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("the value of {text} is not a positive integer"))?;
            let unit = match unit {
                "minute" | "minutes" => 60,
                "hour" | "hours" => 3600,
                "day" | "days" => 86400,
                _ => {
                    return Err(format!(
                        "the unit of {text} is not minute(s), hour(s) or day(s)"
                    ))
                }
            };
            return Ok(Schedule::Rate {
                seconds: value.saturating_mul(unit),
            });
        }
        if let Some(cron) = inner("cron(") {
            return Cron::parse(cron)
                .map(|c| Schedule::Cron(Box::new(c)))
                .map_err(|why| format!("{text} is not a valid cron expression: {why}"));
        }
        Err(format!(
            "{text} is not an at(), rate() or cron() expression"
        ))
    }

    /// Whether the schedule fires in the window (`after`, `until`], in
    /// the time zone `tz`, counting rates from `origin`.
    pub fn fires_between(
        &self,
        after: Timestamp,
        until: Timestamp,
        tz: &TimeZone,
        origin: Timestamp,
    ) -> bool {
        if until <= after {
            return false;
        }
        match self {
            Schedule::At(at) => tz
                .to_timestamp(*at)
                .is_ok_and(|at| after < at && at <= until),
            Schedule::Rate { seconds } => {
                // The last firing at or before `until`: origin + k * rate.
                let since = until.as_second() - origin.as_second();
                if since < 0 {
                    return false;
                }
                let last = origin.as_second() + since / seconds * seconds;
                last > after.as_second()
            }
            Schedule::Cron(cron) => {
                // Each whole minute in the window.
                let first = after.as_second().div_euclid(60) + 1;
                let last = until.as_second().div_euclid(60);
                let first = first.max(last - MAX_MINUTES_WALKED);
                (first..=last).any(|minute| {
                    Timestamp::from_second(minute * 60)
                        .is_ok_and(|t| cron.matches(t.to_zoned_datetime(tz.clone()).datetime()))
                })
            }
        }
    }
}

/// A parsed cron expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    day_of_month: DayOfMonth,
    months: Vec<bool>,
    day_of_week: DayOfWeek,
    years: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
enum DayOfMonth {
    /// `?`: the day of the week decides.
    Any,
    Days(Vec<bool>),
    /// `L`.
    Last,
    /// `LW`.
    LastWeekday,
    /// `<n>W`: the weekday nearest the day, within its month.
    NearestWeekday(i8),
}

#[derive(Clone, Debug, PartialEq)]
enum DayOfWeek {
    Any,
    /// Indexed 1 (Sunday) to 7 (Saturday).
    Days(Vec<bool>),
    /// `<d>L`: the last such weekday of the month.
    Last(i8),
    /// `<d>#<n>`: the n-th such weekday of the month.
    Nth(i8, i8),
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 2199;

impl Cron {
    fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [minutes, hours, dom, months, dow, years] = fields[..] else {
            return Err(format!("it has {} fields, not 6", fields.len()));
        };
        let day_of_month = match dom {
            "?" => DayOfMonth::Any,
            "L" => DayOfMonth::Last,
            "LW" => DayOfMonth::LastWeekday,
            _ => match dom.strip_suffix('W') {
                Some(day) => DayOfMonth::NearestWeekday(
                    day.parse()
                        .ok()
                        .filter(|d| (1..=31).contains(d))
                        .ok_or("the day of a W is not 1-31")?,
                ),
                None => DayOfMonth::Days(values(dom, 1, 31, &[])?),
            },
        };
        let weekday =
            |text: &str| -> Result<i8, String> { value(text, 1, 7, &WEEKDAYS).map(|d| d as i8) };
        let day_of_week = match dow {
            "?" => DayOfWeek::Any,
            "L" => DayOfWeek::Days(values("7", 1, 7, &[])?),
            _ => {
                if let Some(day) = dow.strip_suffix('L') {
                    DayOfWeek::Last(weekday(day)?)
                } else if let Some((day, nth)) = dow.split_once('#') {
                    let nth = nth
                        .parse()
                        .ok()
                        .filter(|n| (1..=5).contains(n))
                        .ok_or("the n of a # is not 1-5")?;
                    DayOfWeek::Nth(weekday(day)?, nth)
                } else {
                    DayOfWeek::Days(values(dow, 1, 7, &WEEKDAYS)?)
                }
            }
        };
        match (&day_of_month, &day_of_week) {
            (DayOfMonth::Any, DayOfWeek::Any) => {
                return Err("only one of the day fields may be ?".into())
            }
            (DayOfMonth::Any, _) | (_, DayOfWeek::Any) => {}
            _ => return Err("one of the day-of-month and day-of-week fields must be ?".into()),
        }
        Ok(Cron {
            minutes: values(minutes, 0, 59, &[])?,
            hours: values(hours, 0, 23, &[])?,
            day_of_month,
            months: values(months, 1, 12, &MONTHS)?,
            day_of_week,
            years: values(years, FIRST_YEAR as u32, LAST_YEAR as u32, &[])?,
        })
    }

    /// Whether the minute starting at `t` (civil time in the schedule's
    /// zone) matches.
    fn matches(&self, t: DateTime) -> bool {
        let year = i32::from(t.year());
        let hit =
            |set: &[bool], v: i64| usize::try_from(v).is_ok_and(|i| set.get(i) == Some(&true));
        if t.second() != 0
            || !hit(&self.minutes, t.minute().into())
            || !hit(&self.hours, t.hour().into())
            || !hit(&self.months, t.month().into())
            || !(FIRST_YEAR..=LAST_YEAR).contains(&year)
            || !hit(&self.years, year.into())
        {
            return false;
        }
        let date = t.date();
        let (day, last_day) = (date.day(), date.days_in_month());
        let weekday = |day: i8| date.with().day(day).build().map(|d| d.weekday());
        let is_workday = |w: Weekday| !matches!(w, Weekday::Saturday | Weekday::Sunday);
        let dom = match &self.day_of_month {
            DayOfMonth::Any => true,
            DayOfMonth::Days(days) => hit(days, day.into()),
            DayOfMonth::Last => day == last_day,
            DayOfMonth::LastWeekday => {
                (day..=last_day).all(|d| d == day || !weekday(d).is_ok_and(is_workday))
                    && weekday(day).is_ok_and(is_workday)
            }
            DayOfMonth::NearestWeekday(wanted) => {
                let wanted = (*wanted).min(last_day);
                // The wanted day itself if a weekday, else the nearest one
                // in the month: Friday before a Saturday, Monday after a
                // Sunday (on the 1st, the Monday after a Saturday; on the
                // last day, the Friday before a Sunday).
                let target = match weekday(wanted) {
                    Ok(Weekday::Saturday) if wanted == 1 => 3,
                    Ok(Weekday::Saturday) => wanted - 1,
                    Ok(Weekday::Sunday) if wanted == last_day => wanted - 2,
                    Ok(Weekday::Sunday) => wanted + 1,
                    _ => wanted,
                };
                day == target
            }
        };
        let today = date.weekday().to_sunday_one_offset();
        let dow = match &self.day_of_week {
            DayOfWeek::Any => true,
            DayOfWeek::Days(days) => hit(days, today.into()),
            DayOfWeek::Last(d) => today == *d && day + 7 > last_day,
            DayOfWeek::Nth(d, n) => today == *d && (day - 1) / 7 + 1 == *n,
        };
        dom && dow
    }
}

/// One value of a field: a number in `min..=max`, or one of `names` (the
/// first being `min`).
fn value(text: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(min + i as u32);
    }
    text.parse::<u32>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| format!("{text} is not a value between {min} and {max}"))
}

/// A field of values: `*`, or a list of `a`, `a-b`, each with an optional
/// `/step` (`*/step` too); the set as flags indexed by value.
fn values(text: &str, min: u32, max: u32, names: &[&str]) -> Result<Vec<bool>, String> {
    let mut set = vec![false; max as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{step} is not a step"))?,
            ),
            None => (part, 1),
        };
        let (low, high) = match range {
            "*" => (min, max),
            _ => match range.split_once('-') {
                Some((low, high)) => (value(low, min, max, names)?, value(high, min, max, names)?),
                // `a/step` runs from a to the end of the field.
                None if step > 1 => (value(range, min, max, names)?, max),
                None => {
                    let v = value(range, min, max, names)?;
                    (v, v)
                }
            },
        };
        if low > high {
            return Err(format!("{range} is an empty range"));
        }
        for v in (low..=high).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Timestamp {
        text.parse::<DateTime>()
            .unwrap()
            .to_zoned_datetime(TimeZone::UTC)
            .unwrap()
            .timestamp()
    }

    /// The minutes of `days` days from `start` (UTC) at which `schedule`
    /// fires in `zone`, checked one minute at a time as the scaler does.
    fn firings(schedule: &str, zone: &str, start: &str, days: i64) -> Vec<String> {
        let schedule = Schedule::parse(schedule).unwrap();
        let tz = TimeZone::get(zone).unwrap();
        let start = utc(start);
        (0..days * 24 * 60)
            .filter_map(|m| {
                let after = Timestamp::from_second(start.as_second() + m * 60).unwrap();
                let until = Timestamp::from_second(after.as_second() + 60).unwrap();
                schedule
                    .fires_between(after, until, &tz, start)
                    .then(|| until.to_zoned_datetime(tz.clone()).datetime().to_string())
            })
            .collect()
    }

    #[test]
    fn at_fires_once_in_its_time_zone() {
        assert_eq!(
            firings("at(2026-12-07T08:30:00)", "UTC", "2026-12-07T00:00:00", 1),
            vec!["2026-12-07T08:30:00"]
        );
        // 08:30 in New York is 13:30 UTC; the firing is reported in the
        // zone's civil time.
        assert_eq!(
            firings(
                "at(2026-12-07T08:30:00)",
                "America/New_York",
                "2026-12-07T00:00:00",
                1
            ),
            vec!["2026-12-07T08:30:00"]
        );
        let at = Schedule::parse("at(2026-12-07T08:30:00)").unwrap();
        assert!(at.fires_between(
            utc("2026-12-07T13:29:59"),
            utc("2026-12-07T13:30:00"),
            &TimeZone::get("America/New_York").unwrap(),
            utc("2026-12-01T00:00:00"),
        ));
    }

    #[test]
    fn rates_count_from_the_origin() {
        let every_six_hours = firings("rate(6 hours)", "UTC", "2026-12-07T01:00:00", 1);
        assert_eq!(
            every_six_hours,
            vec![
                "2026-12-07T07:00:00",
                "2026-12-07T13:00:00",
                "2026-12-07T19:00:00",
                "2026-12-08T01:00:00"
            ]
        );
        assert_eq!(
            firings("rate(1 minute)", "UTC", "2026-12-07T00:00:00", 1).len(),
            1440
        );
        // A window longer than the rate still fires once.
        let rate = Schedule::parse("rate(1 minute)").unwrap();
        let origin = utc("2026-12-07T00:00:00");
        assert!(rate.fires_between(origin, utc("2026-12-07T00:05:00"), &TimeZone::UTC, origin));
        assert!(!rate.fires_between(
            utc("2026-12-07T00:05:01"),
            utc("2026-12-07T00:05:59"),
            &TimeZone::UTC,
            origin
        ));
    }

    #[test]
    fn cron_fields_match_as_aws_documents_them() {
        // 08:00 on weekdays, in Dublin's time (winter: UTC).
        let weekdays = firings(
            "cron(0 8 ? * MON-FRI *)",
            "Europe/Dublin",
            "2026-12-05T00:00:00",
            7,
        );
        assert_eq!(
            weekdays,
            vec![
                "2026-12-07T08:00:00",
                "2026-12-08T08:00:00",
                "2026-12-09T08:00:00",
                "2026-12-10T08:00:00",
                "2026-12-11T08:00:00"
            ]
        );
        // Every 15 minutes of 10:00 on the 1st.
        assert_eq!(
            firings("cron(0/15 10 1 * ? *)", "UTC", "2027-01-01T00:00:00", 1),
            vec![
                "2027-01-01T10:00:00",
                "2027-01-01T10:15:00",
                "2027-01-01T10:30:00",
                "2027-01-01T10:45:00"
            ]
        );
        // The last day of February 2028 (a leap year), the last Friday and
        // the second Tuesday of December 2026, a list of months by name.
        assert_eq!(
            firings("cron(0 12 L * ? 2028)", "UTC", "2028-02-01T00:00:00", 30),
            vec!["2028-02-29T12:00:00"]
        );
        assert_eq!(
            firings("cron(0 12 ? DEC 6L *)", "UTC", "2026-12-01T00:00:00", 31),
            vec!["2026-12-25T12:00:00"]
        );
        assert_eq!(
            firings("cron(30 9 ? * 3#2 *)", "UTC", "2026-12-01T00:00:00", 31),
            vec!["2026-12-08T09:30:00"]
        );
        assert_eq!(
            firings("cron(0 0 1 JAN,JUL ? *)", "UTC", "2026-12-31T00:00:00", 2).len(),
            1
        );
    }

    #[test]
    fn nearest_weekday_stays_in_its_month() {
        // 2026-11-01 is a Sunday: 1W is Monday the 2nd. 2026-08-01 is a
        // Saturday: 1W is Monday the 3rd, not July's last Friday.
        assert_eq!(
            firings("cron(0 9 1W * ? *)", "UTC", "2026-10-31T00:00:00", 3),
            vec!["2026-11-02T09:00:00"]
        );
        assert_eq!(
            firings("cron(0 9 1W * ? *)", "UTC", "2026-08-01T00:00:00", 3),
            vec!["2026-08-03T09:00:00"]
        );
        // 2026-05-31 is a Sunday: LW is Friday the 29th.
        assert_eq!(
            firings("cron(0 9 LW * ? *)", "UTC", "2026-05-20T00:00:00", 12),
            vec!["2026-05-29T09:00:00"]
        );
        // 15W with the 15th a Saturday (2026-08-15): Friday the 14th.
        assert_eq!(
            firings("cron(0 9 15W * ? *)", "UTC", "2026-08-10T00:00:00", 10),
            vec!["2026-08-14T09:00:00"]
        );
    }

    #[test]
    fn daylight_saving_time_moves_the_utc_firing() {
        // 09:00 in Berlin: 08:00 UTC in winter, 07:00 UTC in summer.
        let zone = TimeZone::get("Europe/Berlin").unwrap();
        let cron = Schedule::parse("cron(0 9 * * ? *)").unwrap();
        let origin = utc("2026-01-01T00:00:00");
        for (window_end, fires) in [
            ("2026-01-15T08:00:00", true),
            ("2026-01-15T07:00:00", false),
            ("2026-07-15T07:00:00", true),
            ("2026-07-15T08:00:00", false),
        ] {
            let until = utc(window_end);
            let after = Timestamp::from_second(until.as_second() - 60).unwrap();
            assert_eq!(
                cron.fires_between(after, until, &zone, origin),
                fires,
                "{window_end}"
            );
        }
    }

    #[test]
    fn malformed_schedules_are_refused_with_the_reason() {
        for bad in [
            "at(2026-12-07 08:30)",
            "at(2026-13-07T08:30:00)",
            "rate(0 minutes)",
            "rate(5 weeks)",
            "rate(five minutes)",
            "cron(0 8 * * * *)",
            "cron(0 8 ? * ? *)",
            "cron(0 8 * *)",
            "cron(60 8 ? * * *)",
            "cron(0 8 ? * 8 *)",
            "cron(0 8 ? * MON#6 *)",
            "cron(0 8 32W * ? *)",
            "cron(0 8 ? * * 2200)",
            "cron(0 8 ? * 5-2 *)",
            "cron(*/0 8 ? * * *)",
            "every day",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "at(2026-12-07T08:30:00)",
            "rate(1 day)",
            "cron(15 10 ? * 6L 2022-2099)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
        ] {
            assert!(Schedule::parse(good).is_ok(), "{good}");
        }
    }
}

//! Paging of the job lists (ListExports, ListImports, ListBulkOperations):
//! a page of jobs after the one a NextToken names (its id), and the token
//! of the page after it.

use dynalith_model::DynamoError;

/// The jobs of `jobs` (in listing order) after the one whose `id` is
/// `token`, at most `limit` of them; with the token of the next page when
/// more follow.
pub fn page_after<T>(
    mut jobs: Vec<T>,
    token: Option<&str>,
    limit: usize,
    id: impl Fn(&T) -> &str,
) -> Result<(Vec<T>, Option<String>), DynamoError> {
    if let Some(token) = token {
        let after = jobs.iter().position(|j| id(j) == token).ok_or_else(|| {
            DynamoError::validation(format!(
                "Invalid Request: Provided nextToken is invalid: {token}"
            ))
        })?;
        jobs.drain(..=after);
    }
    let more = jobs.len() > limit;
    jobs.truncate(limit);
    let next = jobs.last().filter(|_| more).map(|j| id(j).to_string());
    Ok((jobs, next))
}

#[cfg(test)]
mod tests {
    use super::page_after;

    fn id(job: &String) -> &str {
        job
    }

    #[test]
    fn pages_follow_their_tokens() {
        let jobs = || vec!["a".to_string(), "b".into(), "c".into()];
        let page = |token: Option<&str>, limit| {
            page_after(jobs(), token, limit, id).map(|(jobs, next)| (jobs.join(","), next))
        };
        assert_eq!(page(None, 2).unwrap(), ("a,b".into(), Some("b".into())));
        assert_eq!(page(Some("b"), 2).unwrap(), ("c".into(), None));
        assert_eq!(page(None, 3).unwrap(), ("a,b,c".into(), None));
        assert!(page(Some("z"), 2).is_err());
    }
}
